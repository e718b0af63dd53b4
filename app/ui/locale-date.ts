import { useTranslation } from "react-i18next";
import { FALLBACK_LOCALE, isLocale, type Locale } from "~/i18n/config";
import { formatDateTime } from "~/i18n/format";
import { utcMinute } from "./format";

/** The page's language, as the provider of this render says it (root loader's locale). */
export function usePageLocale(): Locale {
  const { i18n } = useTranslation();
  return isLocale(i18n.language) ? i18n.language : FALLBACK_LOCALE;
}

/**
 * A moment on a customer page: in English the portal's long-standing "2026-11-27 09:05 UTC"
 * (unchanged, as pages and tests have always shown it); in Spanish and Arabic the locale's own
 * form through Intl (app/i18n/format.ts), still in UTC with the zone named.
 */
export function pageDateTime(locale: Locale, epochMs: number): string {
  return locale === "en" ? utcMinute(epochMs) : formatDateTime(locale, epochMs);
}

/** A day on a customer page: "2026-11-27" in English, the locale's date (Intl, UTC) otherwise. */
export function pageDate(locale: Locale, epochMs: number): string {
  return locale === "en"
    ? new Date(epochMs).toISOString().slice(0, 10)
    : new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" }).format(new Date(epochMs));
}
