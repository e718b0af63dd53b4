import { describe, expect, test } from "vitest";
import { checkPassword, loadPasswordLanguage } from "~/accounts/password-policy";

const settings = { minLength: 15, maxLength: 256, minScore: 3 };

describe("PWD-05 the strength check in the page's language", () => {
  test("a Spanish dictionary word is weak once the Spanish dictionary is loaded, and only in Spanish; English words stay weak everywhere", async () => {
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
