import { RemixI18Next } from "remix-i18next/server";
import { readCookie, serializeCookie } from "~/http/cookies.server";
import { FALLBACK_LOCALE, LOCALES, isLocale, type Locale } from "./config";

/**
 * Which language a page is in (issue 16): `?lng=` in the address, then the language cookie (set by
 * the switcher or by `?lng=`), then the browser's Accept-Language, then DEFAULT_LOCALE. A signed-in
 * customer's stored preference is not consulted for pages: the cookie already follows their last
 * choice in this browser, and the stored one is for messages (docs/decisions/0022).
 */
export const LANGUAGE_COOKIE = "lng";
const ONE_YEAR = 365 * 24 * 3600;

const detectors = new Map<string, RemixI18Next>();

function detector(defaultLocale: Locale, secure: boolean): RemixI18Next {
  const key = `${defaultLocale}:${secure}`;
  let d = detectors.get(key);
  if (!d) {
    d = new RemixI18Next({
      detection: {
        supportedLanguages: [...LOCALES],
        fallbackLanguage: defaultLocale,
        searchParamKey: "lng",
        order: ["searchParams", "custom", "header"],
        // Our own cookie format (plain value, __Host- prefix on https), not Remix's signed JSON.
        findLocale: async (request) => readCookie(request, LANGUAGE_COOKIE, secure),
      },
    });
    detectors.set(key, d);
  }
  return d;
}

export async function detectLocale(request: Request, defaultLocale: Locale, secure: boolean): Promise<Locale> {
  const found = await detector(defaultLocale, secure).getLocale(request);
  return isLocale(found) ? found : defaultLocale ?? FALLBACK_LOCALE;
}

/** The `?lng=` of an address when it names a language we have (the page then remembers it). */
export function requestedLocale(request: Request): Locale | null {
  const value = new URL(request.url).searchParams.get("lng");
  return isLocale(value) ? value : null;
}

export function languageCookie(locale: Locale, secure: boolean): string {
  return serializeCookie(LANGUAGE_COOKIE, locale, { secure, sameSite: "Lax", maxAgeSeconds: ONE_YEAR });
}
