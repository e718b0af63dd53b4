import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";
import { FALLBACK_LOCALE, type Locale } from "~/i18n/config";
import { fixedT } from "~/i18n/instance";

/**
 * One password policy for every place a password is chosen: reset, CLI, and the live meter in
 * the browser (PWD-09). Defaults follow NIST SP 800-63B-4: length in code points (PWD-02), no
 * composition rules (PWD-04), a blocklist of common passwords and context words (PWD-05).
 * Password history is checked on the server only (it needs the stored hashes).
 */

export type PolicySettings = {
  minLength: number;
  maxLength: number;
  minScore: number;
};

export type PolicyContext = {
  username?: string | null;
  email?: string | null;
  appName?: string | null;
};

export type PolicyResult = {
  ok: boolean;
  /** Human reasons in the requested language, shown to the person (NIST: "SHALL provide the reason"). */
  reasons: string[];
  /** 0..4, from zxcvbn-ts; shown by the meter. */
  score: number;
  /** Suggestions from zxcvbn-ts, shown as guidance. */
  suggestions: string[];
  length: number;
};

const factories = new Map<Locale, ZxcvbnFactory>();
let commonPasswords: Set<string> | undefined;

/** zxcvbn's warnings and suggestions in `locale`, from the `password` catalogue (zxcvbn-ts's own texts for en and es). */
function zxcvbnTranslations(locale: Locale): typeof en.translations {
  const t = fixedT(locale);
  const pick = <K extends string>(keys: K[], prefix: "warnings" | "suggestions") =>
    Object.fromEntries(keys.map((k) => [k, prefix === "warnings" ? t(`password:zxcvbn.warnings.${k}`) : t(`password:zxcvbn.suggestions.${k}`)])) as Record<K, string>;
  return {
    warnings: pick(Object.keys(en.translations.warnings) as (keyof typeof en.translations.warnings)[], "warnings"),
    suggestions: pick(Object.keys(en.translations.suggestions) as (keyof typeof en.translations.suggestions)[], "suggestions"),
    // Crack times are never shown.
    timeEstimation: en.translations.timeEstimation,
  };
}

/**
 * Dictionaries of a language beyond English, loaded on first need (loadPasswordLanguage): the
 * Spanish one is about 20 MiB in memory, which every process would otherwise carry from start.
 */
const extraDictionaries: Partial<Record<Locale, Record<string, string[]>>> = {};

/** Call before checkPassword for `locale` (server and browser alike); cheap once loaded. */
export async function loadPasswordLanguage(locale: Locale): Promise<void> {
  if (locale !== "es" || extraDictionaries.es) return;
  extraDictionaries.es = (await import("@zxcvbn-ts/language-es-es")).dictionary;
  factories.delete("es");
}

/**
 * The common and English dictionaries in every language (an English word stays weak on a Spanish
 * page), plus the Spanish one for Spanish once loadPasswordLanguage has loaded it.
 */
function zxcvbn(locale: Locale): ZxcvbnFactory {
  let factory = factories.get(locale);
  if (factory) return factory;
  factory = new ZxcvbnFactory({
    translations: zxcvbnTranslations(locale),
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary, ...(extraDictionaries[locale] ?? {}) },
    // The l33t matcher explodes on long random input (seconds of CPU per check at the default 100,
    // blocking the server and the browser meter: PWD-03's long-password DoS); 10 still finds p@ssw0rd.
    l33tMaxSubstitutions: 10,
  });
  factories.set(locale, factory);
  return factory;
}

function isCommon(password: string): boolean {
  commonPasswords ??= new Set(common.dictionary["passwords-common"].map((p) => p.toLowerCase()));
  return commonPasswords.has(password.toLowerCase());
}

/** Code points, not UTF-16 units: "😀".length is 2 but counts as one character (PWD-02). */
export function codePointLength(value: string): number {
  return [...value].length;
}

function contextWords(ctx: PolicyContext): string[] {
  const words = new Set<string>();
  const add = (w: string | null | undefined) => {
    const v = (w ?? "").trim().toLowerCase();
    if (v.length >= 3) words.add(v);
  };
  add(ctx.username);
  add(ctx.email?.split("@")[0]);
  add(ctx.appName);
  for (const part of (ctx.appName ?? "").split(/\s+/)) if (part.length >= 5) add(part);
  return [...words];
}

export function checkPassword(raw: string, settings: PolicySettings, ctx: PolicyContext = {}, locale: Locale = FALLBACK_LOCALE): PolicyResult {
  const t = fixedT(locale);
  const password = raw.normalize("NFC");
  const length = codePointLength(password);
  const reasons: string[] = [];

  if (length < settings.minLength) {
    reasons.push(t("password:reason.tooShort", { min: settings.minLength, length }));
  }
  if (length > settings.maxLength) {
    reasons.push(t("password:reason.tooLong", { max: settings.maxLength }));
  }
  if (length > 0 && password.trim().length === 0) {
    reasons.push(t("password:reason.spaces"));
  }
  if (isCommon(password)) {
    reasons.push(t("password:reason.common"));
  }
  const lower = password.toLowerCase();
  for (const word of contextWords(ctx)) {
    if (lower.includes(word)) {
      reasons.push(t("password:reason.context"));
      break;
    }
  }

  // zxcvbn is quadratic-ish on very long inputs; the first 100 code points decide the score anyway.
  const sample = [...password].slice(0, 100).join("");
  const result = length > 0 ? zxcvbn(locale).check(sample, contextWords(ctx)) : undefined;
  const score = result?.score ?? 0;
  if (length >= settings.minLength && length <= settings.maxLength && score < settings.minScore) {
    reasons.push(
      result?.feedback.warning ? t("password:reason.guessable", { warning: result.feedback.warning }) : t("password:reason.guessableGeneric"),
    );
  }
  return {
    ok: reasons.length === 0,
    reasons,
    score,
    suggestions: result?.feedback.suggestions ?? [],
    length,
  };
}
