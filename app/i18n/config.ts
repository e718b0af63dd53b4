/**
 * The portal's languages (issue 16, docs/decisions/0022). Catalogues are JSON files, one per
 * namespace and locale, under app/locales/<locale>/<namespace>.json; every one is bundled (they
 * are small), so a translation never waits for a load, on the server, in the browser or in the
 * e-mail thread. Keys are always written with their namespace (`t("recovery:flow.reset.heading")`) so
 * that `scripts/i18n-check.ts` can find every key the code uses.
 */
import type { Resource } from "i18next";
import enAccount from "~/locales/en/account.json";
import esAccount from "~/locales/es/account.json";
import arAccount from "~/locales/ar/account.json";
import enAssisted from "~/locales/en/assisted.json";
import esAssisted from "~/locales/es/assisted.json";
import arAssisted from "~/locales/ar/assisted.json";
import enHelp from "~/locales/en/help.json";
import esHelp from "~/locales/es/help.json";
import arHelp from "~/locales/ar/help.json";
import enCommon from "~/locales/en/common.json";
import esCommon from "~/locales/es/common.json";
import arCommon from "~/locales/ar/common.json";
import enRecovery from "~/locales/en/recovery.json";
import esRecovery from "~/locales/es/recovery.json";
import arRecovery from "~/locales/ar/recovery.json";
import enPassword from "~/locales/en/password.json";
import esPassword from "~/locales/es/password.json";
import arPassword from "~/locales/ar/password.json";
import enUi from "~/locales/en/ui.json";
import esUi from "~/locales/es/ui.json";
import arUi from "~/locales/ar/ui.json";
import enEmails from "~/locales/en/emails.json";
import esEmails from "~/locales/es/emails.json";
import arEmails from "~/locales/ar/emails.json";
import enSms from "~/locales/en/sms.json";
import esSms from "~/locales/es/sms.json";
import arSms from "~/locales/ar/sms.json";

export const LOCALES = ["en", "es", "ar"] as const;
export type Locale = (typeof LOCALES)[number];
export const FALLBACK_LOCALE: Locale = "en";

/** Each language's own name, as the switcher shows it (in that language, never translated). */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", es: "Español", ar: "العربية" };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** Text direction of a locale: Arabic is written right to left. */
export function dirOf(locale: Locale): "ltr" | "rtl" {
  return locale === "ar" ? "rtl" : "ltr";
}

export const resources = {
  en: { common: enCommon, recovery: enRecovery, password: enPassword, ui: enUi, emails: enEmails, sms: enSms, account: enAccount, assisted: enAssisted, help: enHelp },
  es: { common: esCommon, recovery: esRecovery, password: esPassword, ui: esUi, emails: esEmails, sms: esSms, account: esAccount, assisted: esAssisted, help: esHelp },
  ar: { common: arCommon, recovery: arRecovery, password: arPassword, ui: arUi, emails: arEmails, sms: arSms, account: arAccount, assisted: arAssisted, help: arHelp },
} satisfies Resource;

export type Namespace = keyof (typeof resources)["en"];
export const NAMESPACES = Object.keys(resources.en) as Namespace[];
