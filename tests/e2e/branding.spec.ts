import path from "node:path";
import { test, expect, type Page } from "@playwright/test";
import { addAccounts } from "../helpers/app";
import { checkPage, nthMail, ownPortal, uniqueName } from "./fixtures";

/**
 * A branded start in Chromium (issue 15, "Branding"): with a logo file, a primary colour, support
 * hours and contact and a legal link in the environment, every page shows the logo (loaded) and
 * the colour (from /brand.css, no inline style), with and without JavaScript, axe-clean at 360 px;
 * an e-mail (real SMTP) shows the same logo, loaded from the portal, and the same colour.
 */

const APP_NAME = "Acme Account Help";
const COLOR = "#6b21a8";
const RGB = "rgb(107, 33, 168)";
const CONTACT = "+1 555 0100 or help@example.com";
const HOURS = "Mon–Fri 8:00–18:00 CET";
const owner = uniqueName("branded");

test.describe.configure({ mode: "serial" });

const { app, mail } = ownPortal({
  env: {
    TRUST_PROXY: "loopback",
    APP_NAME,
    BRAND_LOGO_PATH: path.resolve(import.meta.dirname, "../fixtures/brand-logo.png"),
    BRAND_PRIMARY_COLOR: COLOR,
    SUPPORT_HOURS: HOURS,
    SUPPORT_CONTACT: CONTACT,
    LEGAL_URL: "https://example.com/legal",
  },
  setup: async () => {
    const added = await addAccounts(app, [{ username: owner }]);
    for (const r of added) expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});
const url = (p: string) => app.origin + p;

/** The header logo is there, named after the product, and the image really loaded. */
async function expectLogo(page: Page) {
  const logo = page.getByRole("banner").getByRole("img", { name: APP_NAME });
  await expect(logo).toBeVisible();
  await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
}

async function expectFooter(page: Page) {
  const footer = page.getByRole("contentinfo");
  await expect(footer).toContainText(`Support: ${CONTACT}`);
  await expect(footer).toContainText(`Hours: ${HOURS}`);
  await expect(footer.getByRole("link", { name: "Legal and privacy" })).toHaveAttribute("href", "https://example.com/legal");
}

test("pages show the logo, the primary colour on buttons and links, and the support footer; axe-clean at 360 px", async ({ page }) => {
  for (const p of ["/", "/forgot-password", "/login", "/help"]) {
    await page.goto(url(p));
    await expectLogo(page);
    await expectFooter(page);
    await checkPage(page);
  }
  await page.goto(url("/forgot-password"));
  const button = page.getByRole("button", { name: "Send link and code" });
  await expect(button).toHaveCSS("background-color", RGB);
  await expect(button).toHaveCSS("color", "rgb(255, 255, 255)");
  await expect(page.getByRole("main").getByRole("link").first()).toHaveCSS("color", RGB);
  // Keyboard focus shows in the brand colour too.
  await button.focus();
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Tab");
  await expect(button).toHaveCSS("outline-color", RGB);
});

test("without JavaScript the logo and colour still show", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(url("/login"));
    await expectLogo(page);
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toHaveCSS("background-color", RGB);
    await expectFooter(page);
  } finally {
    await context.close();
  }
});

test("the reset e-mail shows the logo (loaded from the portal), the colour and the contact line", async ({ page, browser }) => {
  await page.goto(url("/forgot-password"));
  await page.getByLabel("Username, email or phone number").fill(owner);
  await page.getByRole("button", { name: "Send link and code" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  const m = await nthMail(mail, `${owner}@example.test`, /^Reset your/, 0);
  expect(m.html).toContain(`src="${app.origin}/brand/logo"`);
  expect(m.html).toContain(`background-color:${COLOR}`);
  expect(m.text).toContain(`Support: ${CONTACT}`);

  // As a mail client shows it: the HTML on a page of its own (another origin), images loaded.
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const reader = await context.newPage();
    await reader.setContent(m.html, { waitUntil: "load" });
    const logo = reader.getByRole("img", { name: APP_NAME });
    await expect(logo).toBeVisible();
    await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await expect(reader.getByRole("link", { name: "Choose a new password" })).toHaveCSS("background-color", RGB);
    await expect(reader.getByRole("heading", { level: 1 })).toHaveCSS("color", RGB);
    await expect(reader.getByText(`Support: ${CONTACT}`)).toBeVisible();
  } finally {
    await context.close();
  }
});
