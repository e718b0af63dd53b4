import { beforeAll, describe, expect, test } from "vitest";
import { checkPassword, codePointLength, loadPasswordLanguage } from "~/accounts/password-policy";

// The dictionaries load on first need (docs/decisions/0025); every server caller awaits this first.
beforeAll(() => loadPasswordLanguage("en"));

const settings = { minLength: 15, maxLength: 256, minScore: 3 };
const LENGTH = /^Use at least 15 characters \(you have (\d+)\)/;
const COMMON = "This is one of the most common passwords, so attackers try it first.";
const CONTEXT = "Don't include your username, your email address or the name of this service.";
const ctx = { username: "zed47", email: "mirror.quince@example.test", appName: "Account Recovery" };

/** Fifteen different emoji, each one code point but two UTF-16 units. */
const EMOJI = ["😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎", "😍", "😘", "🥰"];

function lengthReason(reasons: string[]): RegExpMatchArray | undefined {
  return reasons.map((r) => r.match(LENGTH)).find(Boolean) ?? undefined;
}

describe("checkPassword", () => {
  test("PWD-01: 14 characters are refused with the reason; 15 strong characters are accepted", () => {
    const short = checkPassword("granite willow", settings);
    expect(short.length).toBe(14);
    expect(short.ok).toBe(false);
    expect(lengthReason(short.reasons)?.[1]).toBe("14");

    const ok = checkPassword("granite willowx", settings);
    expect(ok.length).toBe(15);
    expect(ok.reasons).toEqual([]);
    expect(ok.ok).toBe(true);
    expect(ok.score).toBeGreaterThanOrEqual(3);
  });

  test("PWD-02: length is counted in code points, not UTF-16 units", () => {
    expect("😀".length).toBe(2);
    expect(codePointLength("😀")).toBe(1);

    const fifteen = checkPassword(EMOJI.join(""), settings);
    expect(fifteen.length).toBe(15);
    expect(lengthReason(fifteen.reasons)).toBeUndefined();

    const fourteen = checkPassword(EMOJI.slice(0, 14).join(""), settings);
    expect(fourteen.length).toBe(14);
    expect(lengthReason(fourteen.reasons)?.[1]).toBe("14");

    // 16 UTF-16 units, but only 8 characters.
    const eight = checkPassword(EMOJI.slice(0, 8).join(""), settings);
    expect(EMOJI.slice(0, 8).join("").length).toBe(16);
    expect(lengthReason(eight.reasons)?.[1]).toBe("8");

    // Combining sequences are NFC-normalised before counting: "e\u0301" is one "é".
    const decomposed = "cafe\u0301 granite ferry";
    expect(codePointLength(decomposed)).toBe(19);
    expect(checkPassword(decomposed, settings).length).toBe(18);
  });

  test("PWD-04: no composition rules: a lower-case passphrase with spaces and a Cyrillic passphrase are accepted", () => {
    const plain = checkPassword("correct horse battery staple", settings);
    expect(plain.reasons).toEqual([]);
    expect(plain.ok).toBe(true);

    const cyrillic = checkPassword("молоко кошка дерево звезда", settings);
    expect(cyrillic.reasons).toEqual([]);
    expect(cyrillic.ok).toBe(true);
  });

  test("PWD-05: a common password is refused with its own reason", () => {
    const r = checkPassword("passwordpassword", settings, ctx);
    expect(r.ok).toBe(false);
    expect(r.reasons).toContain(COMMON);
  });

  test("PWD-05: a password containing the username is refused", () => {
    const r = checkPassword("zed47 mirror basalt granite", settings, ctx);
    expect(r.ok).toBe(false);
    expect(r.reasons).toContain(CONTEXT);
    // The same words without the username pass, so the username is the reason.
    expect(checkPassword("orbit mirror basalt granite", settings, ctx).ok).toBe(true);
  });

  test("PWD-05: a password containing the email local part is refused", () => {
    const r = checkPassword("Mirror.Quince tomato harbour", settings, ctx);
    expect(r.ok).toBe(false);
    expect(r.reasons).toContain(CONTEXT);
  });

  test("PWD-05: a password containing the service name is refused", () => {
    const whole = checkPassword("account recovery tomato zebra", settings, ctx);
    expect(whole.ok).toBe(false);
    expect(whole.reasons).toContain(CONTEXT);
    const part = checkPassword("tomato zebra recovery lantern", settings, ctx);
    expect(part.ok).toBe(false);
    expect(part.reasons).toContain(CONTEXT);
  });

  test("spaces only and too long are refused with reasons", () => {
    expect(checkPassword(" ".repeat(20), settings).reasons).toContain("A password cannot be only spaces.");
    expect(checkPassword("a".repeat(257), settings).reasons).toContain("Use at most 256 characters.");
  });
});
