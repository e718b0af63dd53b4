import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import type * as CommonDictionaries from "@zxcvbn-ts/language-common";
import type * as EnglishDictionaries from "@zxcvbn-ts/language-en";
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

/**
 * The dictionaries are loaded on first need (loadPasswordLanguage), not with this module: the
 * common and English lists cost about 10 MiB of heap once imported and 12 MiB more once zxcvbn has
 * ranked them, and most processes never judge a password (a reset storm asks for links; a CLI
 * import or a worker sets none). Loading them also cost every CLI command and every start about
 * 50 ms and 200 ms of CPU (docs/decisions/0025).
 */
let base: { common: typeof CommonDictionaries; en: typeof EnglishDictionaries } | undefined;
let baseLoading: Promise<void> | undefined;
/** The Spanish dictionary (about 20 MiB in memory), only for Spanish pages. */
let spanish: Record<string, string[]> | undefined;
let commonPasswords: Set<string> | undefined;
/**
 * One zxcvbn per dictionary set, not per language: its feedback comes back as keys (identity
 * translations) and is put into the page's language here, so English and Arabic share one ranked
 * copy of the common and English lists instead of one each.
 */
const factories = new Map<"base" | "es", ZxcvbnFactory>();

/** Call (and await) before checkPassword for `locale`, on the server and in the browser; cheap once loaded. */
export async function loadPasswordLanguage(locale: Locale): Promise<void> {
  baseLoading ??= Promise.all([import("@zxcvbn-ts/language-common"), import("@zxcvbn-ts/language-en")]).then(
    ([common, en]) => void (base = { common, en }),
    (error: unknown) => {
      baseLoading = undefined;
      throw error;
    },
  );
  await baseLoading;
  if (locale === "es" && !spanish) spanish = (await import("@zxcvbn-ts/language-es-es")).dictionary;
}

function loaded(): NonNullable<typeof base> {
  // A caller that skipped loadPasswordLanguage must fail loudly, never judge without the lists.
  if (!base) throw new Error("password dictionaries are not loaded: await loadPasswordLanguage(locale) before checkPassword");
  return base;
}

const identity = <K extends string>(keys: K[]) => Object.fromEntries(keys.map((k): [K, string] => [k, k])) as Record<K, string>;

/**
 * The common and English dictionaries in every language (an English word stays weak on a Spanish
 * page), plus the Spanish one for Spanish once loadPasswordLanguage has loaded it.
 */
function zxcvbn(locale: Locale): ZxcvbnFactory {
  const set = locale === "es" && spanish ? "es" : "base";
  let factory = factories.get(set);
  if (factory) return factory;
  const { common, en } = loaded();
  factory = new ZxcvbnFactory({
    translations: {
      warnings: identity(Object.keys(en.translations.warnings) as (keyof typeof en.translations.warnings)[]),
      suggestions: identity(Object.keys(en.translations.suggestions) as (keyof typeof en.translations.suggestions)[]),
      // Crack times are never shown.
      timeEstimation: en.translations.timeEstimation,
    },
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary, ...(set === "es" ? spanish : {}) },
    // The l33t matcher explodes on long random input (seconds of CPU per check at the default 100,
    // blocking the server and the browser meter: PWD-03's long-password DoS); 10 still finds p@ssw0rd.
    l33tMaxSubstitutions: 10,
  });
  factories.set(set, factory);
  return factory;
}

function isCommon(password: string): boolean {
  commonPasswords ??= new Set(loaded().common.dictionary["passwords-common"].map((p) => p.toLowerCase()));
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

  loaded();
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
  const warning = result?.feedback.warning ? t(`password:zxcvbn.warnings.${result.feedback.warning}`) : "";
  if (length >= settings.minLength && length <= settings.maxLength && score < settings.minScore) {
    reasons.push(warning ? t("password:reason.guessable", { warning }) : t("password:reason.guessableGeneric"));
  }
  return {
    ok: reasons.length === 0,
    reasons,
    score,
    suggestions: (result?.feedback.suggestions ?? []).map((key) => t(`password:zxcvbn.suggestions.${key}`)),
    length,
  };
}
