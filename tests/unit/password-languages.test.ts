import { describe, expect, test, vi } from "vitest";
import { fixedT } from "~/i18n/instance";
import { checkPassword, loadPasswordLanguage } from "~/accounts/password-policy";

const settings = { minLength: 15, maxLength: 256, minScore: 3 };

describe("PWD-05 the strength check in the page's language", () => {
  test("a Spanish dictionary word is weak once the Spanish dictionary is loaded, and only in Spanish; English words stay weak everywhere", async () => {
    await loadPasswordLanguage("en");
    expect(checkPassword("desafortunadamente", settings, {}, "en").ok).toBe(true);
    await loadPasswordLanguage("es");
    expect(checkPassword("desafortunadamente", settings, {}, "es").ok).toBe(false);
    expect(checkPassword("desafortunadamente", settings, {}, "en").ok).toBe(true);
    for (const locale of ["en", "es", "ar"] as const) expect(checkPassword("understandingly", settings, {}, locale).ok, locale).toBe(false);
    // Loading twice is harmless.
    await loadPasswordLanguage("es");
    expect(checkPassword("desafortunadamente", settings, {}, "es").ok).toBe(false);
  });
});

describe("the dictionaries load on first need (docs/decisions/0025)", () => {
  test("a fresh module judges nothing before loadPasswordLanguage: it throws instead of passing a weak password", async () => {
    vi.resetModules();
    const fresh = await import("~/accounts/password-policy");
    expect(() => fresh.checkPassword("password", settings)).toThrow(/loadPasswordLanguage/);
    await fresh.loadPasswordLanguage("en");
    expect(fresh.checkPassword("password", settings).ok).toBe(false);
  });

  test("PWD-05 one shared zxcvbn still gives its warning and suggestions in the page's language", async () => {
    await loadPasswordLanguage("es");
    const weak = "qwertyuiopasdfgh";
    for (const locale of ["en", "es", "ar"] as const) {
      const t = fixedT(locale);
      const verdict = checkPassword(weak, settings, {}, locale);
      expect(verdict.ok, locale).toBe(false);
      expect(verdict.reasons, locale).toContain(t("password:reason.guessable", { warning: t("password:zxcvbn.warnings.similarToCommon") }));
      expect(verdict.suggestions, locale).toContain(t("password:zxcvbn.suggestions.anotherWord"));
    }
    expect(fixedT("es")("password:zxcvbn.warnings.similarToCommon")).not.toBe(fixedT("en")("password:zxcvbn.warnings.similarToCommon"));
  });
});
