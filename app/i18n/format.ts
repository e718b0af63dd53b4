import type { Locale } from "./config";

/**
 * Dates, times and durations as the reader's language writes them (Intl). Times are shown in UTC
 * with the zone named: the server does not know the reader's time zone, and a customer comparing
 * a notice with their own clock needs the zone spelled out.
 */
const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function dateTimeFormat(locale: Locale): Intl.DateTimeFormat {
  const key = `dt:${locale}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: "UTC", timeZoneName: "short" });
    cache.set(key, f);
  }
  return f;
}

/** "27 nov 2026, 9:05 UTC" in Spanish, "Nov 27, 2026, 9:05 AM UTC" in English. */
export function formatDateTime(locale: Locale, epochMs: number): string {
  return dateTimeFormat(locale).format(new Date(epochMs));
}

/** A duration in whole minutes, hours or days, whichever reads best ("15 minutos", "2 hours"). */
export function formatDuration(locale: Locale, ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const [value, unit] = minutes % 1440 === 0 ? [minutes / 1440, "day"] : minutes >= 120 && minutes % 60 === 0 ? [minutes / 60, "hour"] : [minutes, "minute"];
  const key = `du:${locale}:${unit}`;
  let f = cache.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" });
    cache.set(key, f);
  }
  return f.format(value);
}
