import { describe, expect, test } from "vitest";
import { mainOf, page, readable } from "../helpers/customer";
import { Client, decodeHtml, shape } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { codeIn } from "../helpers/smtp-sink";
import enRecovery from "../../app/locales/en/recovery.json";
import enPassword from "../../app/locales/en/password.json";
import enUi from "../../app/locales/en/ui.json";
import esRecovery from "../../app/locales/es/recovery.json";
import esPassword from "../../app/locales/es/password.json";
import arRecovery from "../../app/locales/ar/recovery.json";
import arPassword from "../../app/locales/ar/password.json";

/**
 * The recovery journeys in Spanish and Arabic (issue 16): the uniform answers stay uniform in
 * every language (REQ-01), the code, new-password and done pages are wholly in the page's
 * language, the password feedback too (and an English word stays weak on a Spanish page), and
 * Arabic pages are right to left with the code and contact fields left to right.
 */

const PASSWORD = "cobalt meadow lantern quiver";
const { app, mail, customer } = usePortal({
  clients: { ip: "10.97" },
  env: { TRUST_PROXY: "loopback" },
  accounts: [
    { username: "lngrec-es", password: PASSWORD },
    { username: "lngrec-ar", password: PASSWORD },
    ...["es-query", "es-cookie", "ar-query", "ar-cookie"].map((run) => ({ username: `lngrec-${run}`, password: PASSWORD })),
  ],
});
const { client } = customer;

type Json = { [k: string]: string | Json };
const values = (obj: Json): string[] => Object.values(obj).flatMap((v) => (typeof v === "string" ? [v] : values(v)));

/** The English catalogue's sentences, cut at placeholders and tags, long enough to be a real sentence. */
const ENGLISH = [enRecovery, enPassword, enUi]
  .flatMap((c) => values(c as Json))
  .flatMap((s) => s.split(/\{\{[^}]*\}\}|<[^>]+>/))
  .map((s) => s.trim())
  .filter((s) => s.length >= 12 && s.includes(" "));

function englishIn(html: string): string[] {
  const text = readable(decodeHtml(mainOf(html)));
  return ENGLISH.filter((s) => text.includes(s));
}

const htmlTag = (html: string) => /<html[^>]*>/.exec(html)?.[0] ?? "";

/**
 * A browser whose pages are in `lng`: by the address (it opens the page with `?lng=`, and its form
 * posts to that address) or by the language cookie alone.
 */
async function browser(lng: "es" | "ar", how: "query" | "cookie", start: string): Promise<{ c: Client; q: string }> {
  const c = client();
  if (how === "cookie") c.cookies.set("lng", lng);
  const q = how === "query" ? `?lng=${lng}` : "";
  const form = await page(await c.get(`${start}${q}`));
  expect(htmlTag(form.text), start).toContain(`lang="${lng}"`);
  expect(englishIn(form.text), start).toEqual([]);
  return { c, q };
}

const flows = (run: string) =>
  [
    { start: "/forgot-password", field: "identifier", known: `lngrec-${run}`, unknown: `no-such-${run}-1`, next: "/forgot-password/code" },
    { start: "/unlock", field: "identifier", known: `lngrec-${run}`, unknown: `no-such-${run}-2`, next: "/unlock/code" },
    { start: "/forgot-username", field: "contact", known: `lngrec-${run}@example.test`, unknown: `nobody-${run}@example.test`, next: "/forgot-username/sent" },
  ] as const;

describe("I18N REQ-01 the uniform answer stays uniform in every language", () => {
  for (const lng of ["es", "ar"] as const) {
    for (const how of ["query", "cookie"] as const) {
      test(`${lng} by ${how}: a known and an unknown identifier get the same bytes, and the next page is in ${lng}`, async () => {
        for (const flow of flows(`${lng}-${how}`)) {
          const seen: Record<string, { post: Awaited<ReturnType<typeof shape>>; next: Awaited<ReturnType<typeof shape>> }> = {};
          for (const who of ["known", "unknown"] as const) {
            const { c, q } = await browser(lng, how, flow.start);
            const post = await shape(await c.post(`${flow.start}${q}`, { [flow.field]: flow[who] }));
            const next = await shape(await c.get(flow.next));
            seen[who] = { post, next };
          }
          expect(seen.known.post.status, flow.start).toBe(303);
          expect(seen.known.post.location, flow.start).toBe(flow.next);
          expect(seen.known.post, `${flow.start} POST`).toEqual(seen.unknown.post);
          expect(seen.known.next.status, flow.next).toBe(200);
          expect(seen.known.next, `${flow.next} page`).toEqual(seen.unknown.next);
          expect(htmlTag(seen.known.next.body)).toContain(`lang="${lng}"`);
          expect(englishIn(seen.known.next.body), flow.next).toEqual([]);
        }
      });
    }
  }
});

/** Asks for a reset in `lng`, types the e-mailed code: a browser on /reset/password. */
async function verifiedReset(username: string, lng: "es" | "ar") {
  const address = `${username}@example.test`;
  const c = client();
  c.cookies.set("lng", lng);
  const before = mail.to(address).length;
  const asked = await c.post("/forgot-password", { identifier: username });
  expect(asked.status).toBe(303);
  await mail.waitFor(() => mail.to(address).length > before);
  const codePage = await page(await c.get("/forgot-password/code"));
  const m = mail.to(address)[before];
  const entered = await page(await c.post("/forgot-password/code", { intent: "verify", code: codeIn(m) }));
  expect(entered.status, entered.text.slice(0, 300)).toBe(303);
  expect(entered.location).toBe("/reset/password");
  return { c, codePage };
}

describe("I18N the reset journey in Spanish and Arabic", () => {
  test("es: code page, new-password page with Spanish feedback (an English word stays weak), done page", async () => {
    const { c, codePage } = await verifiedReset("lngrec-es", "es");
    expect(codePage.text).toContain(esRecovery.code.sent.email);
    expect(englishIn(codePage.text)).toEqual([]);

    const choose = await page(await c.get("/reset/password"));
    expect(choose.status).toBe(200);
    expect(choose.text).toContain(esPassword.page.title);
    expect(englishIn(choose.text)).toEqual([]);

    const short = await page(await c.post("/reset/password", { password: "password", confirm: "password" }));
    expect(short.status).toBe(400);
    const shortText = readable(decodeHtml(short.text));
    expect(shortText).toContain("Use al menos 15 caracteres (tiene 8).");
    expect(shortText).toContain("Es una de las contraseñas más comunes");
    expect(englishIn(short.text)).toEqual([]);

    // An English dictionary word of 15 letters: still too easy to guess on a Spanish page.
    const english = await page(await c.post("/reset/password", { password: "understandingly", confirm: "understandingly" }));
    expect(english.status).toBe(400);
    expect(readable(decodeHtml(english.text))).toContain("Demasiado fácil de adivinar");
    expect(englishIn(english.text)).toEqual([]);

    // A Spanish dictionary word, which English pages accept: refused on a Spanish page (the
    // Spanish dictionary is loaded on first need, not at start).
    const spanish = await page(await c.post("/reset/password", { password: "desafortunadamente", confirm: "desafortunadamente" }));
    expect(spanish.status).toBe(400);
    expect(readable(decodeHtml(spanish.text))).toContain("Demasiado fácil de adivinar");

    const done = await page(await c.post("/reset/password", { password: "vuelta cobalto prado linterna", confirm: "vuelta cobalto prado linterna" }));
    expect(done.status).toBe(303);
    expect(done.location).toBe("/reset/done");
    const donePage = await page(await c.get("/reset/done"));
    expect(donePage.text).toContain(esRecovery.done.resetHeading);
    expect(htmlTag(donePage.text)).toContain('lang="es"');
    expect(englishIn(donePage.text)).toEqual([]);
  });

  test("ar: pages are right to left, in Arabic, with the code and contact fields left to right", async () => {
    const { c, codePage } = await verifiedReset("lngrec-ar", "ar");
    expect(htmlTag(codePage.text)).toContain('dir="rtl"');
    expect(codePage.text).toContain(arRecovery.code.heading.email);
    expect(codePage.text).toMatch(/<input[^>]*name="code"[^>]*dir="ltr"/);
    expect(englishIn(codePage.text)).toEqual([]);

    const choose = await page(await c.get("/reset/password"));
    expect(htmlTag(choose.text)).toContain('dir="rtl"');
    expect(choose.text).toContain(arPassword.page.title);
    expect(englishIn(choose.text)).toEqual([]);

    const weak = await page(await c.post("/reset/password", { password: "understandingly", confirm: "understandingly" }));
    expect(weak.status).toBe(400);
    expect(readable(decodeHtml(weak.text))).toContain("يسهل تخمينها جدًا");
    expect(englishIn(weak.text)).toEqual([]);

    const done = await page(await c.post("/reset/password", { password: "عودة كوبالت مرج فانوس", confirm: "عودة كوبالت مرج فانوس" }));
    expect(done.status, readable(decodeHtml(done.text)).slice(0, 400)).toBe(303);
    const donePage = await page(await c.get("/reset/done"));
    expect(htmlTag(donePage.text)).toContain('dir="rtl"');
    expect(donePage.text).toContain(arRecovery.done.resetHeading);
    expect(englishIn(donePage.text)).toEqual([]);

    const username = await page(await client().get("/forgot-username?lng=ar"));
    expect(username.text).toMatch(/<input[^>]*name="contact"[^>]*dir="ltr"/);
    expect(englishIn(username.text)).toEqual([]);
  });

  test("en stays the default: the same pages without a language say exactly the English catalogue's words", async () => {
    const p = await page(await client().get("/forgot-password"));
    expect(htmlTag(p.text)).toContain('lang="en"');
    expect(readable(decodeHtml(p.text))).toContain(enRecovery.flow.reset.intro);
    expect(app.origin).toMatch(/^http/);
  });
});
