import type { TFunction } from "i18next";
import { FALLBACK_LOCALE, isLocale, type Locale } from "./config";
import { fixedT } from "./instance";

type Match = { id: string; data?: unknown };

/** The page's language as the root loader found it (meta functions have no hooks). */
export function rootLocale(matches: readonly Match[]): Locale {
  const root = matches.find((m) => m.id === "root")?.data as { locale?: unknown } | undefined;
  return isLocale(root?.locale) ? root.locale : FALLBACK_LOCALE;
}

/** A translate function for a route's `meta`: `export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("ns:key") }]`. */
export function metaT(matches: readonly Match[]): TFunction {
  return fixedT(rootLocale(matches));
}
