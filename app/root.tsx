import type { ReactNode } from "react";
import type { HeadersFunction, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useLocation,
  useRouteLoaderData,
} from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { useChangeLanguage } from "remix-i18next/react";
import { useNonce } from "~/ui/nonce";
import { pageBrand } from "~/brand.server";
import { dirOf, FALLBACK_LOCALE } from "~/i18n/config";
import { metaT } from "~/i18n/meta";
import { LanguageSwitcher } from "~/ui/language-switcher";

/** The page's language, and the operator's branding (logo, colour stylesheet, support line, legal link). */
export const loader = ({ context }: LoaderFunctionArgs) => ({
  locale: context.locale,
  appName: context.services.config.appName,
  brand: pageBrand(context.services.config.brand),
});

export const links: LinksFunction = () => [{ rel: "stylesheet", href: "/styles.css" }];

/**
 * Errors render in this boundary, and Remix passes a thrown response's headers on only through a
 * `headers` export: keep Retry-After on "slow down" pages (REQ-05).
 */
export const headers: HeadersFunction = ({ errorHeaders }) => {
  const headers = new Headers();
  const retryAfter = errorHeaders?.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};

export const meta: MetaFunction = ({ error, matches }) => {
  if (!error) return [];
  const t = metaT(matches);
  const status = isRouteErrorResponse(error) ? error.status : 500;
  return [{ title: status === 404 ? t("common:error.notFound.title") : status === 429 ? t("common:error.tooMany.title") : t("common:error.generic.title") }];
};

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  // Undefined only when the root loader itself failed: the error page then looks as unbranded.
  const root = useRouteLoaderData<typeof loader>("root");
  const brand = root?.brand;
  const locale = root?.locale ?? FALLBACK_LOCALE;
  const { t } = useTranslation();
  useChangeLanguage(locale);
  const location = useLocation();
  return (
    <html lang={locale} dir={dirOf(locale)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <Meta />
        <Links />
        {brand?.stylesheetUrl ? <link rel="stylesheet" href={brand.stylesheetUrl} /> : null}
      </head>
      <body>
        <a className="skip-link" href="#main">
          {t("common:layout.skip")}
        </a>
        <header className="site-header">
          <Link className="brand" to="/">
            {brand?.logoUrl ? <img className="brand-logo" src={brand.logoUrl} alt={root?.appName} /> : t("common:layout.brand")}
          </Link>
          <nav aria-label={t("common:layout.mainNav")}>
            <Link to="/help">{t("common:layout.help")}</Link>
            <Link to="/login">{t("common:layout.signIn")}</Link>
          </nav>
          {location.pathname.startsWith("/support") ? null : <LanguageSwitcher locale={locale} />}
        </header>
        <main id="main" className="page">
          {children}
        </main>
        <footer className="site-footer">
          <p>
            {t("common:layout.footerAsk")} <Link to="/assisted-recovery">{t("common:layout.footerAskLink")}</Link>.
          </p>
          {brand?.supportContact || brand?.supportHours ? (
            <p className="support-line">
              {brand.supportContact ? <span>{t("common:layout.supportContact", { contact: brand.supportContact })}</span> : null}
              {brand.supportContact && brand.supportHours ? " · " : null}
              {brand.supportHours ? <span>{t("common:layout.supportHours", { hours: brand.supportHours })}</span> : null}
            </p>
          ) : null}
          {brand?.legal ? (
            <p>
              <a href={brand.legal.url}>{brand.legal.text}</a>
            </p>
          ) : null}
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

/** Every error becomes a calm page with a way forward; internals are never shown (REQ-07). */
export function ErrorBoundary() {
  const error = useRouteError();
  const { t } = useTranslation();
  let title = t("common:error.generic.title");
  let message = t("common:error.generic.message");
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = t("common:error.notFound.title");
      message = t("common:error.notFound.message");
    } else if (error.status < 500) {
      title = error.status === 429 ? t("common:error.tooMany.title") : t("common:error.refused.title");
      // A customer's route throws a catalogue key ("ns:key") as the reason; the console (English
      // only, docs/decisions/0022) throws its sentence.
      const reason = typeof error.data === "string" && error.data.length < 300 ? error.data : null;
      message = reason === null ? t("common:error.refused.message") : isMessageKey(reason) ? t(reason) : reason;
    }
  }
  return (
    <>
      <h1>{title}</h1>
      <p>{message}</p>
      {isRouteErrorResponse(error) && error.status === 429 ? (
        <p>
          <Link to="/help/too-many-tries">{t("common:error.tooMany.why")}</Link>
        </p>
      ) : null}
      <p>
        <Link to="/">{t("common:error.backToStart")}</Link>
      </p>
    </>
  );
}

const isMessageKey = (value: string) => /^[a-z][a-zA-Z]*:[\w.-]+$/.test(value) && value.length < 120;
