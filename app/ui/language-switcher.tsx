import { useLocation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { LOCALES, LOCALE_NAMES, type Locale } from "~/i18n/config";

/**
 * The language switcher on every page: a plain form (no JavaScript needed) that posts the choice
 * to /language, which remembers it in a cookie (and on the account when signed in) and sends the
 * browser back to this page. The page's address goes in the body, not in a link, so a link token
 * in the address never travels further (TOK-08). Each language is named in itself.
 */
export function LanguageSwitcher({ locale }: { locale: Locale }) {
  const { t } = useTranslation();
  const location = useLocation();
  return (
    <form method="post" action="/language" className="language-switcher">
      <input type="hidden" name="returnTo" value={location.pathname + location.search} />
      <fieldset>
        <legend className="visually-hidden">{t("common:language.legend")}</legend>
        {LOCALES.map((l) => (
          <button key={l} type="submit" name="lng" value={l} lang={l} aria-current={l === locale ? "true" : undefined} className="link-button">
            {LOCALE_NAMES[l]}
          </button>
        ))}
      </fieldset>
    </form>
  );
}
