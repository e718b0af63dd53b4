import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { brandCss, contrastRatio, detectLogoType, linkColorFor, parseHexColor, primaryColorProblem, readLogo, relativeLuminance } from "~/brand.server";
import { ConfigError, loadConfig } from "~/config.server";
import { createElement, type ReactElement } from "react";
import { render } from "@react-email/render";
import { messages, renderEmail } from "../../emails/index";
import { setEmailBrand } from "../../emails/brand";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-brand-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const base = { DATABASE_PATH: path.join(dir, "portal.sqlite") };
const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const PNG = path.join(FIXTURES, "brand-logo.png");
const SVG = path.join(FIXTURES, "brand-logo.svg");

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("colour parsing and WCAG contrast", () => {
  test("parses #rrggbb in either case and nothing else", () => {
    expect(parseHexColor("#0b57D0")).toEqual([11, 87, 208]);
    expect(parseHexColor("#fff")).toBeNull();
    expect(parseHexColor("0b57d0")).toBeNull();
    expect(parseHexColor("#0b57d0ff")).toBeNull();
    expect(parseHexColor("rgb(0,0,0)")).toBeNull();
  });

  test("relative luminance and contrast match the WCAG reference values", () => {
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1, 6);
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 6);
    expect(contrastRatio("#ffffff", "#ffffff")).toBeCloseTo(1, 6);
    // The usual AA boundary pair: #767676 passes on white, #777777 does not.
    expect(contrastRatio("#767676", "#ffffff")).toBeCloseTo(4.54, 2);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    // Order does not matter; a few more known values.
    expect(contrastRatio("#ffffff", "#767676")).toBeCloseTo(4.54, 2);
    expect(contrastRatio("#0b57d0", "#ffffff")).toBeCloseTo(6.39, 2);
    expect(contrastRatio("#ff0000", "#ffffff")).toBeCloseTo(4.0, 2);
  });

  test("the start-up check passes AA colours and names the variable, colour, ratio and minimum otherwise", () => {
    expect(primaryColorProblem("#767676")).toBeNull();
    expect(primaryColorProblem("#0b57d0")).toBeNull();
    expect(primaryColorProblem("#777777")).toBe(
      "BRAND_PRIMARY_COLOR: #777777 has a contrast ratio of 4.47:1 with white, below the WCAG AA minimum of 4.5:1 for text; choose a darker colour",
    );
    // Rounded down: a colour just short of 4.5 never reads as 4.50.
    expect(primaryColorProblem("#ff0000")).toMatch(/ratio of 3\.99:1/);
  });

  test("link colour: the primary colour, darkened only as much as the tinted backgrounds need", () => {
    expect(linkColorFor("#0b57d0")).toBe("#0b57d0");
    const dark = linkColorFor("#767676");
    for (const bg of ["#ffffff", "#f6f8fa", "#e9f7ef", "#fff8e5", "#fdecea"]) expect(contrastRatio(dark, bg)).toBeGreaterThanOrEqual(4.5);
    expect(brandCss("#6b21a8")).toBe(":root { --brand-primary: #6b21a8; --brand-link: #6b21a8; }\n");
  });
});

describe("logo file", () => {
  test("type from the first bytes; the extension must agree", () => {
    expect(detectLogoType(fs.readFileSync(PNG))).toBe("image/png");
    expect(detectLogoType(fs.readFileSync(SVG))).toBe("image/svg+xml");
    expect(detectLogoType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe("image/jpeg");
    expect(detectLogoType(Buffer.from("<html><svg></svg></html>"))).toBeNull();
    expect(detectLogoType(Buffer.from("GIF89a......"))).toBeNull();
    const png = readLogo(PNG);
    expect(typeof png === "object" && png.contentType).toBe("image/png");
    const misnamed = path.join(dir, "logo.svg");
    fs.copyFileSync(PNG, misnamed);
    expect(readLogo(misnamed)).toMatch(/^BRAND_LOGO_PATH: .*logo\.svg holds PNG data; name it \.png$/);
  });

  test("missing, empty, too large or not an image: one line naming the variable", () => {
    expect(configError({ BRAND_LOGO_PATH: path.join(dir, "nope.png") })).toMatch(/^BRAND_LOGO_PATH: .*nope\.png does not exist$/);
    const empty = path.join(dir, "empty.png");
    fs.writeFileSync(empty, "");
    expect(configError({ BRAND_LOGO_PATH: empty })).toMatch(/^BRAND_LOGO_PATH: .* is empty$/);
    const big = path.join(dir, "big.png");
    fs.writeFileSync(big, Buffer.concat([fs.readFileSync(PNG), Buffer.alloc(512 * 1024)]));
    expect(configError({ BRAND_LOGO_PATH: big })).toMatch(/^BRAND_LOGO_PATH: .* is 513 KB; the logo may be at most 512 KB$/);
    const text = path.join(dir, "text.png");
    fs.writeFileSync(text, "hello");
    expect(configError({ BRAND_LOGO_PATH: text })).toMatch(/^BRAND_LOGO_PATH: .* is not a PNG, JPEG or SVG image$/);
    expect(configError({ BRAND_LOGO_PATH: dir })).toMatch(/^BRAND_LOGO_PATH: .* is not a file$/);
  });
});

describe("branding configuration", () => {
  test("without branding variables the portal is unbranded", () => {
    expect(loadConfig({ ...base }).brand).toEqual({ logo: null, primaryColor: null, supportHours: null, supportContact: null, legal: null });
  });

  test("all variables read and checked", () => {
    const c = loadConfig({
      ...base,
      BRAND_LOGO_PATH: PNG,
      BRAND_PRIMARY_COLOR: "#6B21A8",
      SUPPORT_HOURS: "Mon–Fri 8:00–18:00 CET",
      SUPPORT_CONTACT: "+1 555 0100 or help@example.com",
      LEGAL_URL: "https://example.com/legal",
    });
    expect(c.brand.logo?.contentType).toBe("image/png");
    expect(c.brand.logo?.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(c.brand.primaryColor).toBe("#6b21a8");
    expect(c.brand.supportHours).toBe("Mon–Fri 8:00–18:00 CET");
    expect(c.brand.supportContact).toBe("+1 555 0100 or help@example.com");
    expect(c.brand.legal).toEqual({ url: "https://example.com/legal", text: "Legal and privacy" });
    expect(loadConfig({ ...base, LEGAL_URL: "http://localhost/legal", LEGAL_LINK_TEXT: "Terms" }).brand.legal).toEqual({ url: "http://localhost/legal", text: "Terms" });
  });

  test("bad values stop start-up with one line", () => {
    expect(configError({ BRAND_PRIMARY_COLOR: "#777777" })).toMatch(/^BRAND_PRIMARY_COLOR: #777777 has a contrast ratio of 4\.47:1 with white, below the WCAG AA minimum of 4\.5:1/);
    expect(configError({ BRAND_PRIMARY_COLOR: "blue" })).toBe("BRAND_PRIMARY_COLOR: must be a colour such as #0b57d0 (#rrggbb)");
    expect(configError({ SUPPORT_HOURS: "Mon\nTue" })).toBe("SUPPORT_HOURS: must be one line of text");
    expect(configError({ LEGAL_URL: "javascript:alert(1)" })).toMatch(/^LEGAL_URL: must be an absolute http\(s\) URL/);
    const production = {
      NODE_ENV: "production",
      SECRET_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef",
      APP_ORIGIN: "https://recover.example.com",
      SMTP_URL: "smtp://mail.example.com:2525",
      SMS_PROVIDER: "webhook",
      SMS_WEBHOOK_URL: "https://sms.example.com/hook",
      SMS_WEBHOOK_SECRET: "0123456789abcdef0123",
    };
    expect(configError({ ...production, LEGAL_URL: "http://example.com/legal" })).toBe("LEGAL_URL: must be https:// when NODE_ENV=production");
    expect(loadConfig({ ...base, ...production, LEGAL_URL: "https://example.com/legal" }).brand.legal?.url).toBe("https://example.com/legal");
  });
});

describe("branded e-mails", () => {
  afterEach(() => setEmailBrand(null));
  const props = { appName: "Acme Account Help", username: "alice", link: "https://portal.example/reset/tok", code: "123456", minutes: 30, codeMinutes: 10, supportUrl: "https://portal.example/help", reportUrl: "https://portal.example/report/x", supportEmail: "help@example.com" };

  test("logo, colour, support line and legal link in the HTML; the contact line in the text", () => {
    const plain = renderEmail("password-reset", props);
    expect(plain.html).not.toContain("<img");
    expect(plain.html).toContain("background-color:#0b57d0");
    setEmailBrand({
      logoUrl: "https://portal.example/brand/logo",
      primaryColor: "#6b21a8",
      supportHours: "Mon–Fri 8:00–18:00 CET",
      supportContact: "+1 555 0100 or help@example.com",
      legal: { url: "https://example.com/legal", text: "Legal and privacy" },
    });
    const branded = renderEmail("password-reset", props);
    expect(branded.html).toContain('<img src="https://portal.example/brand/logo" alt="Acme Account Help"');
    expect(branded.html).toContain("background-color:#6b21a8");
    expect(branded.html).not.toContain("#0b57d0");
    expect(branded.html).toContain("color:#6b21a8");
    expect(branded.html).toContain('href="https://example.com/legal"');
    expect(branded.text).toContain("Support: +1 555 0100 or help@example.com · Hours: Mon–Fri 8:00–18:00 CET");
    expect(branded.text).toContain("Legal and privacy");
  });

  test("a branded template still renders byte for byte as React Email's two renders (the logo adds no preload link)", async () => {
    setEmailBrand({ logoUrl: "https://portal.example/brand/logo", primaryColor: "#6b21a8", supportHours: "9–5", supportContact: "help@example.com", legal: { url: "https://example.com/legal", text: "Legal" } });
    for (const name of ["password-reset", "username-reminder", "password-changed"] as const) {
      const element = createElement(messages[name].component as (p: Record<string, unknown>) => ReactElement, { ...props, usernames: ["alice"], when: "now", what: "x", sentAt: "now" });
      const ours = renderEmail(name, { ...props, usernames: ["alice"], when: "now", what: "x", sentAt: "now" });
      expect(ours.html, name).toBe(await render(element));
      expect(ours.text, name).toBe(await render(element, { plainText: true }));
    }
  });
});
