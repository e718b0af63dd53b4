import path from "node:path";
import { describe, expect, test } from "vitest";
import { mainOf, page, pathOf, readable } from "../helpers/customer";
import { usePortal } from "../helpers/portal";
import { loadHelpLibrary } from "~/help/articles.server";

/**
 * The help centre (issue 15, "Help centre"), black-box over real HTTP: /help lists every shipped
 * article by order and searches them server-side (GET /help?q=, no JavaScript); /help/<slug> shows
 * one article with its related articles and the way to support; unknown and malformed slugs get a
 * 404 page with the search box; and every dead end (expired, used or bad link, too many tries, the
 * wrong-code limit, a locked sign-in, no access to email or phone) links to the right article.
 */

const LINK_BUDGET = 3;
const PASSWORD = "copper lantern meadow tide";
const { app, customer } = usePortal({
  clients: { ip: "10.95" },
  env: { TRUST_PROXY: "loopback", LIMIT_LINK_FAILURES_PER_IP_PER_15MIN: String(LINK_BUDGET) },
  accounts: [{ username: "helpused" }, { username: "helpexpired" }, { username: "helpcode" }, { username: "helplocked", password: PASSWORD }],
});
const { client, requestResetMail, followLink, enterCode, setPassword } = customer;

const shipped = loadHelpLibrary(path.resolve(import.meta.dirname, "../../content/help"), () => {});
const get = async (p: string, c = client()) => page(await c.get(p));
/** The hrefs of the page's own links (inside <main>). */
const hrefs = (html: string) => [...mainOf(html).matchAll(/<a [^>]*href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, "&"));

describe("the list and search", () => {
  test("/help lists every shipped article, by order, with its summary, and offers a search box", async () => {
    const list = await get("/help");
    expect(list.status).toBe(200);
    const articleLinks = hrefs(list.text).filter((h) => h.startsWith("/help/"));
    expect(articleLinks).toEqual(shipped.articles.map((a) => `/help/${a.slug}`));
    expect(shipped.articles.length).toBeGreaterThanOrEqual(12);
    const text = readable(mainOf(list.text));
    for (const a of shipped.articles) {
      expect(text).toContain(a.title);
      expect(text).toContain(a.summary);
    }
    expect(list.text).toMatch(/<form[^>]*method="get"[^>]*action="\/help"/);
    expect(list.text).toMatch(/<label for="help-q">Search help articles<\/label>/);
    expect(list.text).toMatch(/<input id="help-q" name="q" type="search"/);
  });

  test("GET /help?q= finds the authenticator articles, title hits first, any case; every word must match", async () => {
    const found = await get("/help?q=Authenticator");
    expect(found.status).toBe(200);
    const results = hrefs(found.text).filter((h) => h.startsWith("/help/"));
    expect(results[0]).toBe("/help/lost-authenticator");
    expect(results).toContain("/help/recovery-codes");
    expect(results).not.toContain("/help/spot-phishing");
    expect(readable(mainOf(found.text))).toMatch(/\d+ articles match “Authenticator”/);
    const both = hrefs((await get("/help?q=lost%20PHONE")).text).filter((h) => h.startsWith("/help/"));
    expect(both[0]).toBe("/help/lost-phone");
    for (const h of both) {
      const body = readable(mainOf((await get(h)).text)).toLowerCase();
      expect(body, h).toContain("lost");
      expect(body, h).toContain("phone");
    }
  });

  test("a search with no match says so and points to assisted recovery; the query is shown escaped", async () => {
    const none = await get("/help?q=" + encodeURIComponent("<script>zebra</script>"));
    expect(none.status).toBe(200);
    expect(none.text).not.toContain("<script>zebra");
    expect(mainOf(none.text)).toContain("No articles match “&lt;script&gt;zebra&lt;/script&gt;”");
    expect(hrefs(none.text)).toContain("/assisted-recovery");
  });
});

describe("articles", () => {
  test("an article shows its title, its body, its related articles and the way to support", async () => {
    const a = shipped.bySlug.get("lost-authenticator")!;
    const res = await get("/help/lost-authenticator");
    expect(res.status).toBe(200);
    const main = mainOf(res.text);
    expect(main).toContain(`<h1>${a.title}</h1>`);
    expect(readable(main)).toContain("Use a recovery code");
    expect(main).toContain(">Related articles</h2>");
    const links = hrefs(res.text);
    for (const r of a.related) expect(links).toContain(`/help/${r}`);
    expect(readable(main)).toContain("Still stuck?");
    expect(links).toContain("/assisted-recovery");
    expect(res.text).toMatch(/<title>I lost my authenticator app \| Help/);
  });

  test("every shipped article renders", async () => {
    const c = client();
    for (const a of shipped.articles) {
      const res = await get(`/help/${a.slug}`, c);
      expect(res.status, a.slug).toBe(200);
      expect(readable(/<h1>(.*?)<\/h1>/.exec(mainOf(res.text))?.[1] ?? ""), a.slug).toBe(a.title);
    }
  });

  test("the phishing article names this portal's own address", async () => {
    const res = await get("/help/spot-phishing");
    expect(readable(mainOf(res.text))).toContain(`Links only to our own address: ${app.origin}.`);
    expect(res.text).not.toContain("{{site}}");
  });

  test("an unknown slug, and a slug that is not a file name, get a 404 page with the search box", async () => {
    const c = client();
    for (const p of ["/help/no-such-article", "/help/..%2fpackage.json", "/help/..%2f", "/help/Lost-Phone", "/help/lost-phone.md", "/help/%2e%2e%2f%2e%2e%2fetc%2fpasswd"]) {
      const res = await get(p, c);
      expect(res.status, p).toBe(404);
      expect(readable(mainOf(res.text)), p).toContain("We couldn't find that help article");
      expect(res.text, p).toMatch(/<input id="help-q" name="q" type="search"/);
      expect(res.text, p).not.toContain('"name": "recovery-portal"');
    }
  });
});

describe("dead ends link to the right article", () => {
  test("a used link and a link that isn't valid link /help/link-expired", async () => {
    const { link } = await requestResetMail("helpused", "helpused@example.test");
    const first = await followLink(link);
    expect(first.status).toBe(303);
    expect((await setPassword(first.c, "a brand new harbour password")).status).toBe(303);
    const again = await get(pathOf(link));
    expect(readable(again.text)).toContain("This link was already used");
    expect(hrefs(again.text)).toContain("/help/link-expired");
    const bad = await get("/reset/not-a-real-token-at-all-xxxxxxxxxxxxxxxxxxxx");
    expect(bad.status).toBe(404);
    expect(hrefs(bad.text)).toContain("/help/link-expired");
  });

  test("too many bad links from one network: the page links /help/too-many-tries", async () => {
    const c = client();
    let last = await get("/reset/bad-token-0", c);
    for (let i = 1; i <= LINK_BUDGET + 1 && last.status !== 429; i++) last = await get(`/reset/bad-token-${i}`, c);
    expect(last.status).toBe(429);
    expect(readable(last.text)).toContain("Too many attempts");
    expect(hrefs(last.text)).toContain("/help/too-many-tries");
  });

  test("a throttled request (the root error page) links /help/too-many-tries", async () => {
    const c = client();
    let last = await page(await c.post("/forgot-username", { contact: "nobody-here@example.test" }));
    for (let i = 0; i < 10 && last.status !== 429; i++) last = await page(await c.post("/forgot-username", { contact: "nobody-here@example.test" }));
    expect(last.status).toBe(429);
    expect(hrefs(last.text)).toContain("/help/too-many-tries");
  });

  test("the wrong-code limit links /help/code-not-accepted; the code page links the no-email and no-access articles", async () => {
    const { c } = await requestResetMail("helpcode", "helpcode@example.test");
    const codePage = await get("/forgot-password/code", c);
    expect(hrefs(codePage.text)).toEqual(expect.arrayContaining(["/help/no-email-arrived", "/help/no-access-to-email-or-phone"]));
    let answer = await enterCode(c, "000000");
    for (let i = 0; i < 6 && !answer.text.includes("no longer works"); i++) answer = await enterCode(c, i % 2 ? "000001" : "000000");
    expect(readable(answer.text)).toContain("Too many wrong codes: this code no longer works.");
    expect(hrefs(answer.text)).toContain("/help/code-not-accepted");
  });

  test("a refused sign-in and the unlock page link /help/locked-out", async () => {
    const refused = await page(await client().post("/login", { identifier: "helplocked", password: "not the password at all" }));
    expect(refused.status).toBe(400);
    const links = hrefs(refused.text);
    expect(links).toContain("/unlock");
    expect(links).toContain("/help/locked-out");
    expect(hrefs((await get("/unlock")).text)).toContain("/help/locked-out");
  });

  test("no access to email or phone: the recovery and assisted-recovery pages link the right articles", async () => {
    expect(hrefs((await get("/forgot-password")).text)).toContain("/help/no-email-arrived");
    const assisted = hrefs((await get("/assisted-recovery")).text);
    expect(assisted).toContain("/help/no-access-to-email-or-phone");
    expect(assisted).toContain("/help/what-support-asks");
  });

  test("an expired reset link links /help/link-expired", async () => {
    const { link } = await requestResetMail("helpexpired", "helpexpired@example.test");
    await app.advanceClock(61 * 60_000);
    const late = await get(pathOf(link));
    expect(late.status).toBe(410);
    expect(readable(late.text)).toContain("This link has expired");
    expect(hrefs(late.text)).toContain("/help/link-expired");
  });
});
