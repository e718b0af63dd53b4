import i18next, { type i18n as I18n, type TFunction } from "i18next";
import { FALLBACK_LOCALE, LOCALES, NAMESPACES, resources, type Locale } from "./config";

/**
 * One i18next instance with every catalogue loaded synchronously (no backend: the catalogues are
 * bundled), shared by the pages, the e-mail thread and the SMS renderer. A page gets a clone set
 * to its language (clones share the store, so a clone costs a few objects, not a copy).
 */
const base: I18n = i18next.createInstance();
void base.init({
  resources,
  lng: FALLBACK_LOCALE,
  fallbackLng: FALLBACK_LOCALE,
  supportedLngs: [...LOCALES],
  ns: NAMESPACES,
  defaultNS: "common",
  // React escapes what it renders; e-mail templates are React too; SMS are plain text.
  interpolation: { escapeValue: false },
  returnNull: false,
  initImmediate: false,
});

/** An i18next instance set to `locale`, for a React provider. */
export function i18nFor(locale: Locale): I18n {
  return base.cloneInstance({ lng: locale, initImmediate: false });
}

const fixed = new Map<Locale, TFunction>();
/**
 * A translate function fixed to `locale` (server code, meta functions, e-mails, SMS). One per
 * language, made once: every e-mail component asked for its own, and i18next builds a new closure
 * each time (the base instance's language never changes, so the function stays right).
 */
export function fixedT(locale: Locale): TFunction {
  let t = fixed.get(locale);
  if (!t) {
    t = base.getFixedT(locale);
    fixed.set(locale, t);
  }
  return t;
}
