import { describe, expect, test } from "vitest";
import { messages, renderEmail, renderFull } from "../../emails/index";
import { renderCompiled, type Rendered } from "../../emails/compiled";
import { setEmailBrand } from "../../emails/brand";

/**
 * Issue 12: e-mails filled into a compiled shape (emails/compiled.ts) must be byte for byte the
 * e-mails a full render gives, for any value a payload can carry; the full render is itself checked
 * against React Email's in outbox-batch.test.ts.
 */

const BASE: Record<string, unknown> = {
  appName: "Account Recovery",
  username: "alice",
  usernames: ["alice", "alice.work"],
  link: "https://portal.example/reset/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  code: "123456",
  minutes: 30,
  codeMinutes: 10,
  supportUrl: "https://portal.example/assisted-recovery",
  supportEmail: "help@portal.example",
  reportUrl: "https://portal.example/report/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  loginUrl: "https://portal.example/login",
  resetUrl: "https://portal.example/forgot-password",
  settingsUrl: "https://portal.example/account",
  origin: "https://portal.example",
  when: "2026-11-28 09:14 UTC",
  until: "2026-11-28 09:29 UTC",
  unlockUrl: "https://portal.example/unlock",
  browser: "Firefox on Linux",
  ip: "203.0.113.7",
  network: "203.0.113.x",
  kind: "email",
  purpose: "reset",
  why: "failures",
  change: "totpAdded",
};

const compiledTemplates = Object.entries(messages).filter(([, def]) => "printed" in def && def.printed) as [string, { printed: readonly string[] }][];

/** A small seeded generator, so a failure names a payload that can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}
const PIECES = ["a", "Z", "0", "&", "<", ">", '"', "'", " ", "é", "ب", "😀", "\u00a0", "\n", "  ", "#", "mailto:", "/", ":", ".", "&amp;", "{{x}}", "\u200b", "\u2063", "\ue000", "-", "_"];
const SAFE = ["a", "Z", "0", "&", "<", ">", '"', "'", " ", "é", "ب", "😀", "/", ":", ".", "&amp;", "{{x}}", "-", "_", "Ünïcödé", "x"];

function value(random: () => number, pieces: string[]): string {
  const n = Math.floor(random() * 24);
  let out = "";
  for (let i = 0; i < n; i++) out += pieces[Math.floor(random() * pieces.length)];
  return out;
}

describe("compiled e-mails (issue 12)", () => {
  test("EML-02 every compiled template, in every language, gives exactly the full render (the same escaping) for 300 random payloads each", () => {
    const random = prng(12);
    let compiledCount = 0;
    for (const [name, def] of compiledTemplates) {
      for (let i = 0; i < 300; i++) {
        const payload: Record<string, unknown> = { ...BASE, locale: ["en", "es", "ar", undefined][i % 4] };
        // Half the payloads from characters that can be filled in, half from any (most of those fall back).
        const pieces = i % 2 === 0 ? SAFE : PIECES;
        for (const prop of def.printed) {
          if (Array.isArray(BASE[prop])) payload[prop] = Array.from({ length: 1 + (i % 3) }, () => value(random, pieces));
          else payload[prop] = i % 29 === 5 ? null : value(random, pieces);
        }
        let calls = 0;
        const compiled = renderCompiled(name, def.printed, payload, (p) => (calls++, renderFull(name, p)));
        if (compiled) compiledCount++;
        const full = renderFull(name, payload);
        const ours = renderEmail(name, payload);
        const where = `${name} ${JSON.stringify(payload)}`;
        expect(ours.html, where).toBe(full.html);
        expect(ours.text, where).toBe(full.text);
        if (compiled) {
          expect(compiled.html, where).toBe(full.html);
          expect(compiled.text, where).toBe(full.text);
        }
        expect(calls).toBeLessThanOrEqual(2);
      }
    }
    // The fuzz must actually exercise the compiled path, not only the fallback.
    expect(compiledCount).toBeGreaterThan(compiledTemplates.length * 60);
  }, 30_000); // CPU-bound (about 4 s on the 2-core CI machine): Vitest's 5 s default is too close.

  test("a reset storm's messages are compiled once per shape: the next message of the same shape renders nothing", () => {
    for (const name of ["password-reset", "account-unlock", "username-reminder", "recovery-ambiguous", "password-changed", "account-locked"]) {
      const printed = (messages[name as keyof typeof messages] as { printed?: readonly string[] }).printed!;
      // Each printed value replaced by another of the same length: the same shape.
      const variant = (tag: string) => {
        const p: Record<string, unknown> = { ...BASE, locale: "es" };
        const other = (v: string) => tag + v.slice(tag.length);
        for (const prop of printed) p[prop] = Array.isArray(p[prop]) ? (p[prop] as string[]).map(other) : other(p[prop] as string);
        return p;
      };
      let calls = 0;
      const full = (p: Record<string, unknown>): Rendered => (calls++, renderFull(name, p));
      expect(renderCompiled(name, printed, variant("1st"), full), name).toBeDefined();
      const before = calls;
      expect(before).toBeLessThanOrEqual(2);
      const second = variant("2nd");
      const out = renderCompiled(name, printed, second, full);
      expect(calls, name).toBe(before);
      expect(out, name).toEqual(renderFull(name, second));
    }
  });

  test("values that html-to-text or React would change are never filled in: the message is rendered in full", () => {
    const printed = messages["password-reset"].printed;
    for (const username of ["line\nbreak", "two  spaces", " leading", "trailing ", "tab\there", "zero\u200bwidth", "abc", "", "\ue001x\ue000y"]) {
      const payload = { ...BASE, username };
      const out = renderCompiled("password-reset", printed, payload, (p) => renderFull("password-reset", p));
      if (username === "") expect(out).toEqual(renderFull("password-reset", payload));
      else expect(out, JSON.stringify(username)).toBeUndefined();
      expect(renderEmail("password-reset", payload)).toMatchObject(renderFull("password-reset", payload));
    }
  });

  test("a shape whose render transforms a value fails its check and is always rendered in full", () => {
    // A stand-in render that uppercases the text part, as html-to-text does to headings by default.
    const upper = (p: Record<string, unknown>): Rendered => {
      const r = renderFull("password-reset", p);
      return { html: r.html, text: r.text.toUpperCase() };
    };
    const payload = { ...BASE, appName: "Uppercase check", username: "mixedCase" };
    expect(renderCompiled("password-reset", messages["password-reset"].printed, payload, upper)).toBeUndefined();
    // A render that drops the spaces of a value (as html-to-text does to a link's text before comparing it with the address).
    const hides = (p: Record<string, unknown>): Rendered => {
      const r = renderFull("password-reset", p);
      return p.username === p.code ? r : { html: r.html, text: r.text + String(p.username).replace(/ /g, "") };
    };
    expect(renderCompiled("password-reset", messages["password-reset"].printed, { ...payload, appName: "Hiding check" }, hides)).toBeUndefined();
  });

  test("a change of branding is a new shape: the next message shows it", () => {
    const payload = { ...BASE, username: "brandcheck" };
    const plain = renderEmail("password-reset", payload);
    try {
      setEmailBrand({ logoUrl: null, primaryColor: "#8a0a3b", supportHours: "Mon–Fri 9–17", supportContact: "+1 555 0100", legal: null });
      const branded = renderEmail("password-reset", payload);
      expect(branded.html).toContain("#8a0a3b");
      expect(branded.text).toContain("+1 555 0100");
      expect(branded).toEqual({ ...renderFull("password-reset", payload), subject: branded.subject });
    } finally {
      setEmailBrand(null);
    }
    expect(renderEmail("password-reset", payload)).toEqual(plain);
  });

  test("past the cache's bound (256 shapes) every message is still right", () => {
    for (let length = 4; length < 4 + 300; length++) {
      const payload = { ...BASE, username: "u".repeat(length) };
      expect(renderEmail("password-reset", payload)).toEqual({ ...renderFull("password-reset", payload), subject: renderEmail("password-reset", payload).subject });
    }
  });
});
