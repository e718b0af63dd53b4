import { isLocale, type Locale } from "~/i18n/config";
import { formatDateTime } from "~/i18n/format";

/**
 * The language of a message to one or more accounts (issue 16, docs/decisions/0022): the
 * accounts' preferred language (`users.locale`) when they agree on one, otherwise `fallback`
 * (config.defaultLocale). Never the page's language: whoever asks need not be the owner.
 */
export function accountsLocale(users: readonly { locale?: Locale | null }[], fallback: Locale): Locale {
  const first = users[0]?.locale;
  return first && users.every((u) => u.locale === first) ? first : fallback;
}

/** The language of a message about a ticket to its contact: the ticket's (the page it was written on), else `fallback`. */
export function ticketLocale(ticket: { locale?: string | null }, fallback: Locale): Locale {
  return isLocale(ticket.locale) ? ticket.locale : fallback;
}

/**
 * A time as a message in `locale` writes it: Intl (app/i18n/format.ts) for Spanish and Arabic;
 * English keeps the form its messages have always had ("Fri, 27 Nov 2026 20:30:00 GMT").
 */
export function messageTime(locale: Locale, epochMs: number): string {
  return locale === "en" ? new Date(epochMs).toUTCString() : formatDateTime(locale, epochMs);
}
