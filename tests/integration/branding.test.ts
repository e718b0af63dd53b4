import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RELAXED_LIMITS, startApp, tempDir, type TestApp } from "../helpers/app";
import { Client } from "../helpers/http";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Branding (issue 15): an operator sets a logo, a primary colour, support hours and contact, and a
 * legal link in the environment; pages and e-mails show them. A colour that fails WCAG AA on white,
 * or a logo file that is missing or not an image, stops start-up with one line.
 */

const LOGO = path.resolve(import.meta.dirname, "../fixtures/brand-logo.png");
const SVG = path.resolve(import.meta.dirname, "../fixtures/brand-logo.svg");
const BRAND = {
  APP_NAME: "Acme Account Help",
  BRAND_LOGO_PATH: LOGO,
  BRAND_PRIMARY_COLOR: "#6b21a8",
  SUPPORT_HOURS: "Mon–Fri 8:00–18:00 CET",
  SUPPORT_CONTACT: "+1 555 0100 or help@example.com",
  LEGAL_URL: "https://example.com/legal",
};

/** A start that must fail: its exit code and what it wrote to stderr. */
async function failedStart(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const err = await startApp({ env }).then(
    async (app) => {
      await app.stop();
      throw new Error("the portal started");
    },
    (e: Error) => e,
  );
  const m = /^portal exited with (\d+): ([\s\S]*)$/.exec(err.message);
  if (!m) throw err;
  return { code: Number(m[1]), stderr: m[2] };
}

describe("start-up checks", () => {
  test("a primary colour below WCAG AA on white stops start-up: exit 1 and one line with the colour, the ratio and the minimum", async () => {
    const { code, stderr } = await failedStart({ BRAND_PRIMARY_COLOR: "#777777" });
    expect(code).toBe(1);
    expect(stderr).toBe(
      "Configuration error: BRAND_PRIMARY_COLOR: #777777 has a contrast ratio of 4.47:1 with white, below the WCAG AA minimum of 4.5:1 for text; choose a darker colour\n",
    );
  });

  test("a missing logo file stops start-up: exit 1 and one line naming the variable and the file", async () => {
    const missing = path.join(tempDir(), "logo.png");
    const { code, stderr } = await failedStart({ BRAND_LOGO_PATH: missing });
    expect(code).toBe(1);
    expect(stderr).toBe(`Configuration error: BRAND_LOGO_PATH: ${missing} does not exist\n`);
    const notImage = path.join(tempDir(), "logo.png");
    fs.writeFileSync(notImage, "<html>not an image</html>");
    const bad = await failedStart({ BRAND_LOGO_PATH: notImage });
    expect(bad).toEqual({ code: 1, stderr: `Configuration error: BRAND_LOGO_PATH: ${notImage} is not a PNG, JPEG or SVG image\n` });
  });
});

describe("a branded portal", () => {
  let app: TestApp;
  let mail: SmtpSink;
  beforeAll(async () => {
    mail = await startSmtpSink();
    app = await startApp({ smtpUrl: mail.url, env: { ...RELAXED_LIMITS, ...BRAND } });
  });
  afterAll(async () => {
    await app?.stop();
    await mail?.close();
  });

  test("pages show the logo, link /brand.css with the colour, and the footer's hours, contact and legal link", async () => {
    for (const page of ["/", "/forgot-password", "/help", "/login"]) {
      const res = await fetch(app.origin + page);
      // React separates adjacent text parts with empty comments.
      const html = (await res.text()).replaceAll("<!-- -->", "");
      const logo = /<img class="brand-logo" src="(\/brand\/logo\?v=[0-9a-f]{12})" alt="Acme Account Help"\/>/.exec(html);
      expect(logo, page).not.toBeNull();
      const css = /<link rel="stylesheet" href="(\/brand\.css\?v=[0-9a-f]{12})"\/>/.exec(html);
      expect(css, page).not.toBeNull();
      expect(html, page).toContain("Support: +1 555 0100 or help@example.com");
      expect(html, page).toContain("Hours: Mon–Fri 8:00–18:00 CET");
      expect(html, page).toContain('<a href="https://example.com/legal">Legal and privacy</a>');
      // Still no inline style anywhere (the CSP allows none).
      expect(html, page).not.toMatch(/<style|style="/);

      const sheet = await fetch(app.origin + css![1]);
      expect(sheet.status).toBe(200);
      expect(sheet.headers.get("content-type")).toBe("text/css; charset=utf-8");
      expect(sheet.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(await sheet.text()).toContain("--brand-primary: #6b21a8;");
    }
    // The shared stylesheet reads the custom properties for buttons, links and focus.
    const styles = await (await fetch(app.origin + "/styles.css")).text();
    expect(styles).toContain("background: var(--brand-primary, #0b57d0)");
    expect(styles).toContain("a { color: var(--brand-link, #0b57d0); }");
  });

  test("the logo is served with its type, nosniff, a sandboxing policy and a cache lifetime by fingerprint", async () => {
    const html = await (await fetch(app.origin + "/")).text();
    const src = /class="brand-logo" src="([^"]+)"/.exec(html)![1];
    const res = await fetch(app.origin + src);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'; style-src 'unsafe-inline'");
    // E-mail clients load it from their own origin.
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(LOGO))).toBe(true);
    // The e-mails' plain address: the same bytes, cached briefly so a new logo shows soon.
    const plain = await fetch(app.origin + "/brand/logo");
    expect(plain.headers.get("cache-control")).toBe("public, max-age=300");
    expect(plain.headers.get("content-type")).toBe("image/png");
    const head = await fetch(app.origin + "/brand/logo", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(fs.statSync(LOGO).size));
    // Nothing else under /brand is served.
    expect((await fetch(app.origin + "/brand/other")).status).toBe(404);
  });

  test("an e-mail (real SMTP) carries the logo URL, the colour and the contact line", async () => {
    const name = `brand${process.pid % 1000}${Date.now() % 100000}`;
    expect((await app.importUsers([name])).code).toBe(0);
    const c = new Client(app.origin, { "x-forwarded-for": `10.71.${process.pid % 200}.1` });
    expect((await c.post("/forgot-password", { identifier: name })).status).toBe(303);
    const m = await mail.waitFor((x) => x.to.includes(`${name}@example.test`));
    expect(m.html).toContain(`<img src="${app.origin}/brand/logo" alt="Acme Account Help"`);
    expect(m.html).toContain("background-color:#6b21a8");
    expect(m.html).not.toContain("#0b57d0");
    expect(m.html).toContain("Support: +1 555 0100 or help@example.com");
    expect(m.html).toContain('href="https://example.com/legal"');
    expect(m.text).toContain("Support: +1 555 0100 or help@example.com · Hours: Mon–Fri 8:00–18:00 CET");
  });
});

describe("an unbranded portal and an SVG logo", () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.stop();
  });

  test("without branding variables: no logo, no /brand.css, no support line; the brand paths are not served", async () => {
    const app = await startApp({ env: { ...RELAXED_LIMITS } });
    apps.push(app);
    const html = await (await fetch(app.origin + "/")).text();
    expect(html).not.toContain("brand-logo");
    expect(html).not.toContain("/brand.css");
    expect(html).not.toContain("Support: ");
    expect(html).toContain(">Account recovery</a>");
    expect((await fetch(app.origin + "/brand/logo")).status).toBe(404);
    expect((await fetch(app.origin + "/brand.css")).status).toBe(404);
  });

  test("an SVG logo is served as image/svg+xml under a sandbox that runs no script", async () => {
    const app = await startApp({ env: { ...RELAXED_LIMITS, BRAND_LOGO_PATH: SVG } });
    apps.push(app);
    const res = await fetch(app.origin + "/brand/logo");
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'; style-src 'unsafe-inline'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toBe(fs.readFileSync(SVG, "utf8"));
  });
});
