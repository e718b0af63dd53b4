import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { mainOf, page, pathOf, readable } from "../helpers/customer";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { linkIn } from "../helpers/smtp-sink";
import { loadHelpLibrary, localizedLibrary } from "~/help/articles.server";
import enAccount from "~/locales/en/account.json";
import enAssisted from "~/locales/en/assisted.json";
import enHelp from "~/locales/en/help.json";

/**
 * Languages (issue 16) on the account, assisted-recovery and help pages, black-box over real HTTP:
 * the account and security pages in Spanish and Arabic with dates written for the locale, the
 * assisted-recovery form in Spanish (its validation errors too, and the ticket remembers 'es'),
 * the ticket status page in Arabic, the help centre and its articles in Spanish and Arabic (an
 * English article standing in is marked lang="en"), the help search in the page's language
 * without JavaScript, and no English sentence of these pages' catalogues left on them.
 */

const PASSWORD = "saffron pebble meadow lantern";
const { customer, probe, mail } = usePortal({
  clients: { ip: "10.97" },
  env: { TRUST_PROXY: "loopback", LIMIT_TICKETS_PER_IP_PER_HOUR: "100", LIMIT_TICKETS_PER_CONTACT_PER_DAY: "100" },
  accounts: [{ username: "lngacct", password: PASSWORD, phone: "+12025550177" }],
});
const { client, signedIn, freshContact, ticketForm } = customer;

const htmlTag = (html: string) => /<html[^>]*>/.exec(html)?.[0] ?? "";
const text = (html: string) => readable(mainOf(html));

/** Every sentence of the English catalogues of these pages, cut at placeholders and tags (pieces of at least three words). */
function englishSentences(): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      for (const piece of v.split(/\{\{[^}]*\}\}|<[^>]*>/)) {
        const p = piece.trim().replace(/^[.,:;()]+|[.,:;()]+$/g, "").trim();
        if (p.split(/\s+/).length >= 3) out.push(p);
      }
    } else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  [enAccount, enAssisted, enHelp].forEach(walk);
  return [...new Set(out)];
}
const ENGLISH = englishSentences();

function expectNoEnglish(html: string, where: string) {
  const t = text(html);
  const left = ENGLISH.filter((s) => t.includes(s));
  expect(left, `English sentences left on ${where}`).toEqual([]);
}

async function inLanguage(c: Client, p: string, lng: "es" | "ar") {
  const res = await c.get(`${p}${p.includes("?") ? "&" : "?"}lng=${lng}`);
  const html = await res.text();
  expect(htmlTag(html)).toContain(`lang="${lng}"`);
  return { status: res.status, html };
}

const ES_DATE_TIME = /\d{1,2} [a-z]{3,5}\.? \d{4}, \d{1,2}:\d{2} UTC/;
const ES_DATE = /\d{1,2} [a-z]{3,5}\.? \d{4}/;
const AR_DATE_TIME = /\d{1,2} \p{Script=Arabic}+ \d{4}، \d{1,2}:\d{2} \p{Script=Arabic} UTC/u;
const AR_DATE = /\d{1,2} \p{Script=Arabic}+ \d{4}/u;
const ISO_MINUTE = /\d{4}-\d\d-\d\d \d\d:\d\d UTC/;

describe("I18N account pages", () => {
  test("the account page and the security page in Spanish: translated, dates written the Spanish way, no English sentence", async () => {
    const c = await signedIn("lngacct", PASSWORD);
    const account = await inLanguage(c, "/account", "es");
    expect(account.status).toBe(200);
    expect(text(account.html)).toContain("Su cuenta");
    expect(text(account.html)).toContain("Sesión iniciada como lngacct");
    expect(text(account.html)).toContain("Último cambio de contraseña");
    expect(text(account.html)).toMatch(ES_DATE);
    expectNoEnglish(account.html, "/account (es)");

    const security = await inLanguage(c, "/account/security", "es");
    expect(security.status).toBe(200);
    const t = text(security.html);
    expect(t).toContain("Protección del inicio de sesión");
    expect(t).toContain("Actividad reciente");
    expect(t).toContain("Inicio de sesión"); // the sign-in just made, as an activity entry
    expect(t).toContain("Este dispositivo");
    expect(t).toMatch(ES_DATE_TIME);
    expect(t).not.toMatch(ISO_MINUTE);
    expectNoEnglish(security.html, "/account/security (es)");
  });

  test("the account page and the security page in Arabic: right to left, dates written the Arabic way, no English sentence", async () => {
    const c = await signedIn("lngacct", PASSWORD);
    const account = await inLanguage(c, "/account", "ar");
    expect(htmlTag(account.html)).toContain('dir="rtl"');
    expect(text(account.html)).toContain("حسابك");
    expect(text(account.html)).toMatch(AR_DATE);
    // The phone number reads left to right inside the Arabic text.
    expect(account.html).toContain('<bdi dir="ltr">+12025550177</bdi>');
    expectNoEnglish(account.html, "/account (ar)");

    const security = await inLanguage(c, "/account/security", "ar");
    const t = text(security.html);
    expect(t).toContain("النشاط الأخير");
    expect(t).toContain("هذا الجهاز");
    expect(t).toMatch(AR_DATE_TIME);
    expect(t).not.toMatch(ISO_MINUTE);
    expectNoEnglish(security.html, "/account/security (ar)");
  });
});

describe("I18N account changes", () => {
  test("the password change in Spanish: a wrong current password is refused in Spanish", async () => {
    const c = await signedIn("lngacct", PASSWORD);
    const form = await inLanguage(c, "/account/password", "es");
    expect(text(form.html)).toContain("Cambiar su contraseña");
    expectNoEnglish(form.html, "/account/password (es)");
    const fresh = "quartz heron velvet maple drum";
    const refused = await c.post("/account/password", { current: "not the password at all", password: fresh, confirm: fresh });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(text(html)).toContain("Esa no es su contraseña actual.");
    expectNoEnglish(html, "/account/password refused (es)");
  });
});

describe("I18N assisted recovery", () => {
  test("the form in Spanish: labels, a validation error in Spanish, and the ticket stores locale 'es'", async () => {
    const c = client();
    const form = await inLanguage(c, "/assisted-recovery", "es");
    expect(text(form.html)).toContain("Obtenga ayuda de nuestro equipo de soporte");
    expect(text(form.html)).toContain("Nombre completo");
    expect(text(form.html)).toContain("Otra persona está usando mi cuenta");
    expectNoEnglish(form.html, "/assisted-recovery (es)");

    const refused = await c.post("/assisted-recovery", ticketForm({ fullName: "", consent: "" }));
    expect(refused.status).toBe(400);
    const refusedHtml = await refused.text();
    expect(htmlTag(refusedHtml)).toContain('lang="es"');
    expect(text(refusedHtml)).toContain("Escriba su nombre completo");
    expect(text(refusedHtml)).toContain("Marque la casilla para que podamos contactarle sobre esta solicitud");
    expectNoEnglish(refusedHtml, "/assisted-recovery refused (es)");

    const contact = freshContact("lng-es");
    const done = await c.post("/assisted-recovery", ticketForm({ contactEmail: contact }));
    expect(done.status).toBe(200);
    const doneHtml = await done.text();
    const reference = doneHtml.replace(/<!-- -->/g, "").match(/Su referencia es\s*<strong>([^<]+)<\/strong>/)?.[1];
    expect(reference).toMatch(/^AR-/);
    expectNoEnglish(doneHtml, "/assisted-recovery done (es)");
    expect((probe.ticketRow(reference!) as { locale?: string | null } | undefined)?.locale).toBe("es");
  });

  test("the ticket status page in Arabic: status, dates and labels in Arabic, no English sentence", async () => {
    const contact = freshContact("lng-ar");
    const { res, reference } = await customer.submitTicket(ticketForm({ contactEmail: contact, details: "I lost my phone." }));
    expect(res.status).toBe(200);
    const ack = await mail.waitFor((m) => m.to.includes(contact) && m.text.includes("/assisted-recovery/status/"));
    const c = client();
    const landing = await c.get(pathOf(linkIn(ack, "/assisted-recovery/status/")));
    expect(landing.status).toBe(303);
    const status = await inLanguage(c, "/assisted-recovery/status", "ar");
    expect(status.status).toBe(200);
    expect(htmlTag(status.html)).toContain('dir="rtl"');
    const t = text(status.html);
    expect(t).toContain(`طلبك ${reference}`);
    expect(t).toContain("الحالة: مفتوح");
    expect(t).toContain("حسابي مقفل");
    expect(t).toMatch(AR_DATE_TIME);
    expect(t).not.toMatch(ISO_MINUTE);
    expectNoEnglish(status.html, "/assisted-recovery/status (ar)");
  });
});

describe("I18N help centre", () => {
  const shipped = loadHelpLibrary(path.resolve(import.meta.dirname, "../../content/help"), () => {});

  for (const lng of ["es", "ar"] as const) {
    test(`/help and /help/<slug> in ${lng}: the articles of content/help/${lng}, same slugs, no English sentence`, async () => {
      const translated = loadHelpLibrary(path.resolve(import.meta.dirname, `../../content/help/${lng}`), () => {});
      const list = await inLanguage(client(), "/help", lng);
      expect(list.status).toBe(200);
      const links = [...mainOf(list.html).matchAll(/<a [^>]*href="(\/help\/[^"]*)"/g)].map((m) => m[1]);
      expect(links).toEqual(shipped.articles.map((a) => `/help/${a.slug}`));
      for (const a of translated.articles) expect(text(list.html)).toContain(a.title);
      // The way to support is a link with its words inside (a <Trans> component, not an empty <a>).
      const ask = lng === "es" ? "Pregunte a nuestro equipo de soporte" : "اسأل فريق الدعم";
      expect(mainOf(list.html).replace(/<!-- -->/g, "")).toMatch(new RegExp(`<a [^>]*href="/assisted-recovery"[^>]*>${ask}</a>`));
      expectNoEnglish(list.html, `/help (${lng})`);

      const one = translated.bySlug.get("lost-phone")!;
      expect(one, `content/help/${lng}/lost-phone.md`).toBeDefined();
      const article = await inLanguage(client(), "/help/lost-phone", lng);
      expect(article.status).toBe(200);
      expect(text(article.html)).toContain(one.title);
      expect(mainOf(article.html)).not.toContain('lang="en"');
      expect(text(article.html)).not.toContain(shipped.bySlug.get("lost-phone")!.title);
      expect(mainOf(article.html).replace(/<!-- -->/g, "")).toMatch(new RegExp(`<a [^>]*href="/assisted-recovery"[^>]*>${ask}</a>`));
      expectNoEnglish(article.html, `/help/lost-phone (${lng})`);
    });
  }

  test("help search in Spanish without JavaScript (GET /help?q=) searches the Spanish articles", async () => {
    const found = await inLanguage(client(), "/help?q=" + encodeURIComponent("teléfono"), "es");
    expect(found.status).toBe(200);
    const links = [...mainOf(found.html).matchAll(/<a [^>]*href="(\/help\/[^"]*)"/g)].map((m) => m[1]);
    expect(links).toContain("/help/lost-phone");
    expect(text(found.html)).toMatch(/\d+ artículos? coincid/);
    expectNoEnglish(found.html, "/help?q= (es)");
    // Typed without its accent, the word finds the same articles.
    const plain = await inLanguage(client(), "/help?q=telefono", "es");
    expect([...mainOf(plain.html).matchAll(/<a [^>]*href="(\/help\/[^"]*)"/g)].map((m) => m[1])).toEqual(links);
    // The same word finds nothing among the English articles.
    const english = await page(await client().get("/help?q=" + encodeURIComponent("teléfono")));
    expect(text(english.text)).toContain("No articles match");
  });

  test("an article without a translation is the English one, marked lang=\"en\" (the fallback of app/help)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "help-l10n-"));
    fs.mkdirSync(path.join(dir, "es"));
    fs.writeFileSync(path.join(dir, "one.md"), "---\ntitle: One in English\norder: 1\n---\nEnglish body about phones.\n");
    fs.writeFileSync(path.join(dir, "two.md"), "---\ntitle: Two in English\norder: 2\nrelated: [one]\n---\nAnother English body.\n");
    fs.writeFileSync(path.join(dir, "es", "one.md"), "---\ntitle: Uno en español\n---\nTexto sobre teléfonos.\n");
    fs.writeFileSync(path.join(dir, "es", "extra.md"), "---\ntitle: Sin original\n---\nNada.\n");
    const es = localizedLibrary("es", () => {}, dir);
    expect(es.articles.map((a) => [a.slug, a.title, a.lang])).toEqual([
      ["one", "Uno en español", "es"],
      ["two", "Two in English", "en"],
    ]);
    expect(es.bySlug.get("two")!.related).toEqual(["one"]);
    const ar = localizedLibrary("ar", () => {}, dir);
    expect(ar.articles.every((a) => a.lang === "en")).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
