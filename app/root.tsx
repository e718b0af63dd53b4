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
  useRouteLoaderData,
} from "@remix-run/react";
import { useNonce } from "~/ui/nonce";
import { pageBrand } from "~/brand.server";

/** The operator's branding (logo, colour stylesheet, support line, legal link) for the layout. */
export const loader = ({ context }: LoaderFunctionArgs) => ({
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

export const meta: MetaFunction = ({ error }) => {
  if (!error) return [];
  const status = isRouteErrorResponse(error) ? error.status : 500;
  return [{ title: status === 404 ? "Page not found" : status === 429 ? "Too many attempts" : "Something went wrong" }];
};

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  // Undefined only when the root loader itself failed: the error page then looks as unbranded.
  const root = useRouteLoaderData<typeof loader>("root");
  const brand = root?.brand;
  return (
    <html lang="en">
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
          Skip to content
        </a>
        <header className="site-header">
          <Link className="brand" to="/">
            {brand?.logoUrl ? <img className="brand-logo" src={brand.logoUrl} alt={root?.appName} /> : "Account recovery"}
          </Link>
          <nav aria-label="Main">
            <Link to="/help">Help</Link>
            <Link to="/login">Sign in</Link>
          </nav>
        </header>
        <main id="main" className="page">
          {children}
        </main>
        <footer className="site-footer">
          <p>
            Can't get in any other way? <Link to="/assisted-recovery">Ask our support team</Link>.
          </p>
          {brand?.supportContact || brand?.supportHours ? (
            <p className="support-line">
              {brand.supportContact ? <span>Support: {brand.supportContact}</span> : null}
              {brand.supportContact && brand.supportHours ? " · " : null}
              {brand.supportHours ? <span>Hours: {brand.supportHours}</span> : null}
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
  let title = "Something went wrong";
  let message = "Sorry, something went wrong on our side. Please try again in a minute.";
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = "Page not found";
      message = "We couldn't find that page. Check the address, or start again below.";
    } else if (error.status < 500) {
      title = error.status === 429 ? "Too many attempts" : "We couldn't accept that";
      message = typeof error.data === "string" && error.data.length < 300 ? error.data : "Please go back and try again.";
    }
  }
  return (
    <>
      <h1>{title}</h1>
      <p>{message}</p>
      {isRouteErrorResponse(error) && error.status === 429 ? (
        <p>
          <Link to="/help/too-many-tries">Why you have to wait</Link>
        </p>
      ) : null}
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}
