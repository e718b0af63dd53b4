import { test, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { checkPage, contexts, ownPortal, submitSignIn } from "./fixtures";
import { probes } from "../helpers/probes";
import { smsCode, type Sms } from "../helpers/sms-receiver";
import { linkIn } from "../helpers/smtp-sink";
import fs from "node:fs";
import path from "node:path";

/**
 * Languages in a real browser (issue 16): a whole reset in Spanish, following the real e-mail and
 * the real text message like a customer; Arabic pages right to left, with axe and at 360 px, and
 * codes, e-mail addresses and phone numbers kept left to right; the switcher with JavaScript off in
 * the middle of a reset; and the notice of a reset done on an English page going out in the
 * account's own language. Expected texts come from the catalogues, so a wording change is made in
 * one place.
 */

// The catalogues as the portal bundles them (read, not imported: Playwright loads JSON only with an import attribute).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const catalogue = (locale: string, ns: string): any => JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, `../../app/locales/${locale}/${ns}.json`), "utf8"));
const enRecovery = catalogue("en", "recovery");
const esRecovery = catalogue("es", "recovery");
const arRecovery = catalogue("ar", "recovery");
const esPassword = catalogue("es", "password");
const esEmails = catalogue("es", "emails");
const esSms = catalogue("es", "sms");
const esCommon = catalogue("es", "common");

const SECRET = "e2e-languages-sms-secret-0123456789";
const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";
const APP_NAME = "Account Recovery";
const tag = `${process.pid % 1000}${Date.now() % 10000}`;
const users = {
  spanish: { username: `les${tag}`, phone: "+12025550161", password: PASSWORD },
  spanishSms: { username: `lsms${tag}`, phone: "+12025550162", password: PASSWORD },
  noJs: { username: `lnojs${tag}` },
  arabic: { username: `lar${tag}` },
  english: { username: `len${tag}`, password: PASSWORD },
};
const emailOf = (u: string) => `${u}@example.test`;

test.describe.configure({ mode: "serial" });

const { app, mail, sms } = ownPortal({
  env: { TRUST_PROXY: "loopback" },
  sms: { secret: SECRET, path: "/sms" },
  accounts: Object.values(users),
});
const probe = probes(() => app);
const newContext = contexts("10.97");

/** "{{appName}}: …{{code}}…" as a pattern: every placeholder matches anything. */
function pattern(template: string): RegExp {
  const parts = template.split(/\{\{\s*[\w.]+\s*\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join("[\\s\\S]*?"), "i");
}
const fill = (template: string, values: Record<string, string>) => template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => values[k] ?? "");

async function newPage(browser: Browser, options = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, app, options);
  return { context, page: await context.newPage() };
}

/** Signs in (English), picks Español with the switcher: the account now prefers Spanish. */
async function preferSpanish(browser: Browser, username: string) {
  const { context, page } = await newPage(browser);
  await submitSignIn(page, username, PASSWORD);
  await expect(page).toHaveURL(/\/account$/);
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page).toHaveURL(/\/account$/);
  expect(probe.userRow(username)?.locale).toBe("es");
  await context.close();
}

test("I18N a whole reset in Spanish: pages, the e-mail with its link and code, the new password, and the Spanish notice", async ({ browser }) => {
  const { username } = users.spanish;
  await preferSpanish(browser, username);
  const { context, page } = await newPage(browser, { locale: "es-ES" });

  // Accept-Language alone picks Spanish.
  await page.goto("/forgot-password");
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page.locator("html")).toHaveAttribute("dir", "ltr");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(esRecovery.flow.reset.heading);
  await checkPage(page);
  await page.getByLabel(esRecovery.request.identifierLabel).fill(username);
  await page.getByRole("button", { name: esRecovery.request.submit }).click();
  await expect(page).toHaveURL(/\/forgot-password\/code$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(esRecovery.code.heading.email);
  await checkPage(page);

  const reset = await mail.waitFor((m) => m.to.includes(emailOf(username)) && m.subject === fill(esEmails.passwordReset.subject, { appName: APP_NAME }));
  expect(reset.text).toMatch(pattern(esEmails.passwordReset.heading));
  expect(reset.html).toMatch(/<html[^>]*lang="es"/);
  const link = linkIn(reset, "/reset/");

  // The link, opened in another Spanish browser, moves that browser on to the new password.
  const other = await newPage(browser, { locale: "es-ES" });
  await other.page.goto(link);
  await expect(other.page.getByRole("heading", { level: 1 })).toHaveText(esRecovery.flow.reset.landingHeading);
  await other.page.getByRole("button", { name: esRecovery.landing.continue }).click();
  await expect(other.page.getByRole("heading", { level: 1 })).toHaveText(esPassword.page.title);
  await checkPage(other.page);
  // An English word is weak in Spanish too, and the refusal is in Spanish.
  await other.page.getByLabel(esPassword.fields.new, { exact: true }).fill("password1234");
  await other.page.getByLabel(esPassword.fields.confirm, { exact: true }).fill("password1234");
  await other.page.getByRole("button", { name: esPassword.page.submit }).click();
  await expect(other.page.getByText(esPassword.page.refused)).toBeVisible();
  await other.page.getByLabel(esPassword.fields.new, { exact: true }).fill(NEW_PASSWORD);
  await other.page.getByLabel(esPassword.fields.confirm, { exact: true }).fill(NEW_PASSWORD);
  await other.page.getByRole("button", { name: esPassword.page.submit }).click();
  await expect(other.page.getByRole("heading", { level: 1 })).toHaveText(esRecovery.done.resetHeading);
  await checkPage(other.page);

  const changed = await mail.waitFor((m) => m.to.includes(emailOf(username)) && m.subject === fill(esEmails.passwordChanged.subject, { appName: APP_NAME }));
  expect(changed.text).toMatch(pattern(esEmails.passwordChanged.heading));
  expect(probe.userRow(username)?.locale).toBe("es");
  await other.context.close();
  await context.close();
});

test("I18N a reset by text message in Spanish: the SMS code text is Spanish and works on the Spanish page", async ({ browser }) => {
  const { username, phone } = users.spanishSms;
  await preferSpanish(browser, username);
  const { context, page } = await newPage(browser);
  await page.goto("/forgot-password?lng=es");
  const before = sms.to(phone).length;
  await page.getByLabel(esRecovery.request.identifierLabel).fill("(202) 555-0162");
  await page.getByRole("button", { name: esRecovery.request.submit }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(esRecovery.code.heading.phone);
  const text: Sms = await sms.waitFor((m) => m.to === phone && sms.to(phone).indexOf(m) >= before);
  expect(text.body).toMatch(pattern(esSms.passwordReset));
  await page.getByLabel(esRecovery.code.label, { exact: true }).fill(smsCode(text));
  await page.getByRole("main").getByRole("button", { name: esRecovery.code.continue }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(esPassword.page.title);
  await context.close();
});

test("I18N Arabic pages are right to left, pass axe, fit 360 px, and keep codes, addresses and numbers left to right", async ({ browser }) => {
  const { context, page } = await newPage(browser, { locale: "ar-EG" });
  for (const path of ["/", "/forgot-password", "/forgot-username", "/unlock", "/login", "/help", "/assisted-recovery"]) {
    await page.goto(path);
    await expect(page.locator("html"), path).toHaveAttribute("lang", "ar");
    await expect(page.locator("html"), path).toHaveAttribute("dir", "rtl");
    await checkPage(page);
  }
  await page.goto("/forgot-password");
  await page.getByLabel(arRecovery.request.identifierLabel).fill(emailOf(users.arabic.username));
  await page.getByRole("button", { name: arRecovery.request.submit }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(arRecovery.code.heading.email);
  await checkPage(page);
  const code = page.getByLabel(arRecovery.code.label, { exact: true });
  expect(await code.evaluate((el) => getComputedStyle(el).direction)).toBe("ltr");
  // The page itself mirrors: the main column starts on the right.
  const box = await page.getByRole("heading", { level: 1 }).boundingBox();
  const width = page.viewportSize()!.width;
  expect(box!.x + box!.width).toBeGreaterThan(width / 2);
  await context.close();
});

test("I18N switching language with JavaScript off in the middle of a reset keeps the reset going", async ({ browser }) => {
  const { username } = users.noJs;
  const { context, page } = await newPage(browser, { javaScriptEnabled: false });
  await page.goto("/forgot-password");
  await page.getByLabel(enRecovery.request.identifierLabel).fill(username);
  await page.getByRole("button", { name: enRecovery.request.submit }).click();
  await expect(page).toHaveURL(/\/forgot-password\/code$/);
  const m = await mail.waitFor((x) => x.to.includes(emailOf(username)) && /reset/i.test(x.subject));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page).toHaveURL(/\/forgot-password\/code$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(esRecovery.code.heading.email);
  await expect(page.getByRole("button", { name: "Español" })).toHaveAttribute("aria-current", "true");
  // The recovery cookie survived the switch: the e-mailed code still works here.
  const code = /\b(\d{6})\b/.exec(m.text)![1];
  await page.getByLabel(esRecovery.code.label, { exact: true }).fill(code);
  await page.getByRole("main").getByRole("button", { name: esRecovery.code.continue }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(esPassword.page.title);
  // Back to English, still on the same step.
  await page.getByRole("button", { name: "English" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { level: 1 })).not.toHaveText(esPassword.page.title);
  await expect(page.locator("body")).not.toContainText(esCommon.layout.skip);
  await context.close();
});

test("I18N an account that prefers Spanish gets its password-changed notice in Spanish when the reset was done on an English page", async ({ browser }) => {
  const { username } = users.english;
  await preferSpanish(browser, username);
  const { context, page } = await newPage(browser, { locale: "en-US" });
  await page.goto("/forgot-password?lng=en");
  await page.getByLabel(enRecovery.request.identifierLabel).fill(username);
  await page.getByRole("button", { name: enRecovery.request.submit }).click();
  const reset = await mail.waitFor((m) => m.to.includes(emailOf(username)) && m.subject === fill(esEmails.passwordReset.subject, { appName: APP_NAME }));
  await page.getByLabel(enRecovery.code.label, { exact: true }).fill(/\b(\d{6})\b/.exec(reset.text)![1]);
  await page.getByRole("main").getByRole("button", { name: enRecovery.code.continue }).click();
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(enRecovery.done.resetHeading);
  const changed = await mail.waitFor((m) => m.to.includes(emailOf(username)) && m.subject === fill(esEmails.passwordChanged.subject, { appName: APP_NAME }));
  expect(changed.text).toMatch(pattern(esEmails.passwordChanged.heading));
  await context.close();
});
