import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";
import { I18nextProvider } from "react-i18next";
import { FALLBACK_LOCALE, isLocale } from "~/i18n/config";
import { i18nFor } from "~/i18n/instance";

// The server rendered the page in the language <html lang> names; hydrate in the same one.
const lang = document.documentElement.lang;
const i18n = i18nFor(isLocale(lang) ? lang : FALLBACK_LOCALE);

startTransition(() => {
  hydrateRoot(
    document,
    <I18nextProvider i18n={i18n}>
      <StrictMode>
        <RemixBrowser />
      </StrictMode>
    </I18nextProvider>,
  );
});
