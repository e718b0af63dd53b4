import { describe, expect, test } from "vitest";
import { checkCatalogues, loadCatalogues } from "../../scripts/i18n-check";
import { fixedT } from "~/i18n/instance";
import { formatDateTime, formatDuration } from "~/i18n/format";
import { dirOf, LOCALES } from "~/i18n/config";

describe("I18N catalogues (issue 16)", () => {
  test("every key used in code exists in every locale with its plural forms; no unused key; no untranslated copy of English", () => {
    expect(checkCatalogues()).toEqual([]);
  });

  test("every locale has a catalogue, and Arabic is the right-to-left one", () => {
    const catalogues = loadCatalogues();
    for (const l of LOCALES) expect(catalogues.get(l)?.size, l).toBeGreaterThan(0);
    expect(LOCALES.map(dirOf)).toEqual(["ltr", "ltr", "rtl"]);
  });

  test("translation falls back to English only for a key a locale lacks, and formats follow the locale", () => {
    expect(fixedT("es")("common:error.backToStart")).toBe("Volver al inicio");
    expect(fixedT("ar")("common:layout.help")).toBe("المساعدة");
    expect(formatDuration("es", 15 * 60_000)).toBe("15 minutos");
    expect(formatDuration("en", 2 * 3_600_000)).toBe("2 hours");
    expect(formatDateTime("es", Date.UTC(2026, 10, 27, 9, 5))).toContain("nov");
  });
});
