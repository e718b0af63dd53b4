import { describe, expect, test } from "vitest";
import { page } from "../helpers/customer";
import { usePortal } from "../helpers/portal";

/**
 * Languages (issue 16), black-box over real HTTP: how a page's language is chosen (`?lng=`, the
 * switcher's cookie, Accept-Language, the default), what <html> says about it, the switcher's
 * POST (no JavaScript) and where it may send the browser back to, the preference stored on a
 * signed-in account, and the console staying in English.
 */

const PASSWORD = "amber harbour violin thistle";
const { app, customer, probe } = usePortal({
  clients: { ip: "10.96" },
  env: { TRUST_PROXY: "loopback" },
  accounts: [{ username: "lngsigned", password: PASSWORD }],
});
const { client, signedIn } = customer;

const htmlTag = (html: string) => /<html[^>]*>/.exec(html)?.[0] ?? "";

describe("I18N choosing the language of a page", () => {
  test("without any hint a page is in English, left to right", async () => {
    const p = await page(await client().get("/forgot-password"));
    expect(p.status).toBe(200);
    expect(htmlTag(p.text)).toContain('lang="en"');
    expect(htmlTag(p.text)).toContain('dir="ltr"');
  });

  test("Accept-Language picks a language we have; one we don't have falls back to English", async () => {
    const ar = await page(await client().get("/forgot-password", { "accept-language": "ar-EG,ar;q=0.9,en;q=0.5" }));
    expect(htmlTag(ar.text)).toContain('lang="ar"');
    expect(htmlTag(ar.text)).toContain('dir="rtl"');
    const es = await page(await client().get("/help", { "accept-language": "es-MX,es;q=0.9" }));
    expect(htmlTag(es.text)).toContain('lang="es"');
    const fr = await page(await client().get("/help", { "accept-language": "fr-FR,fr;q=0.9" }));
    expect(htmlTag(fr.text)).toContain('lang="en"');
  });

  test("?lng=es beats Accept-Language and is remembered in a cookie for the next page", async () => {
    const c = client();
    const first = await c.get("/forgot-password?lng=es", { "accept-language": "ar" });
    expect(first.headers.getSetCookie().some((v) => /^lng=es; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/.test(v))).toBe(true);
    expect(htmlTag(await first.text())).toContain('lang="es"');
    const next = await page(await c.get("/help", { "accept-language": "ar" }));
    expect(htmlTag(next.text)).toContain('lang="es"');
    expect(next.text).toContain("Ayuda");
    // An unknown value is ignored, not stored.
    const odd = await client().get("/help?lng=xx");
    expect(odd.headers.getSetCookie().some((v) => v.startsWith("lng="))).toBe(false);
    expect(htmlTag(await odd.text())).toContain('lang="en"');
  });
});

describe("I18N the language switcher", () => {
  test("every customer page offers the three languages, each named in itself, as a form that works without JavaScript", async () => {
    const p = await page(await client().get("/forgot-password?lng=ar"));
    expect(p.text).toMatch(/<form method="post" action="\/language" class="language-switcher">/);
    expect(p.text).toContain('<input type="hidden" name="returnTo" value="/forgot-password?lng=ar"/>');
    for (const [code, name] of [["en", "English"], ["es", "Español"], ["ar", "العربية"]]) {
      expect(p.text).toMatch(new RegExp(`<button type="submit" name="lng" value="${code}" lang="${code}"[^>]*>${name}</button>`));
    }
    expect(p.text).toMatch(/value="ar" lang="ar" aria-current="true"/);
  });

  test("choosing a language remembers it and goes back to the same page; only a path on this site is followed", async () => {
    const c = client();
    const res = await c.post("/language", { lng: "es", returnTo: "/forgot-password/code" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/forgot-password/code");
    expect(htmlTag((await page(await c.get("/help"))).text)).toContain('lang="es"');
    for (const hostile of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""]) {
      const r = await client().post("/language", { lng: "ar", returnTo: hostile });
      expect(r.status, hostile).toBe(303);
      expect(r.headers.get("location"), hostile).toBe("/");
    }
  });

  test("an unknown language is a clear 400 page that changes nothing", async () => {
    const c = client();
    const res = await c.post("/language", { lng: "xx", returnTo: "/help" });
    expect(res.status).toBe(400);
    expect(res.headers.getSetCookie().some((v) => v.startsWith("lng="))).toBe(false);
    expect(await res.text()).toContain("Choose one of the languages offered.");
  });

  test("a signed-in customer's choice is stored on the account (their messages follow it)", async () => {
    expect(probe.userRow("lngsigned")?.locale ?? null).toBeNull();
    const c = await signedIn("lngsigned", PASSWORD);
    const res = await c.post("/language", { lng: "es", returnTo: "/account" });
    expect(res.status).toBe(303);
    expect(probe.userRow("lngsigned")?.locale).toBe("es");
  });

  test("the support console stays in English whatever the customer's language cookie says, without a switcher", async () => {
    const c = client();
    await c.get("/help?lng=ar");
    const p = await page(await c.get("/support/login"));
    expect(htmlTag(p.text)).toContain('lang="en"');
    expect(p.text).not.toContain('action="/language"');
    void app;
  });
});
