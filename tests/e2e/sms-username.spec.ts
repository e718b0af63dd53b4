import { test, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { checkPage, contexts, ownPortal, submitSignIn } from "./fixtures";
import { probes } from "../helpers/probes";
import { codeIn } from "../helpers/smtp-sink";
import { smsCode, verifyWebhookSignature, type Sms } from "../helpers/sms-receiver";

/**
 * Username recovery, phone changes and reset by SMS in real Chromium, reading the real email from
 * an SMTP sink and the real text from a signed-webhook receiver. Every page on the way is checked
 * with axe and at 360 px wide.
 *
 * This spec runs its own portal (SMS_PROVIDER=webhook), started in beforeAll, rather than the
 * shared fixture's. The portal trusts X-Forwarded-For from loopback and every browser context
 * sends its own address, so per-IP limits never interfere.
 */

const SECRET = "e2e-sms-webhook-secret-0123456789";
const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";

// Unique per run, so a rerun against a reused receiver can never match an old message.
const tag = `${process.pid % 1000}${Date.now() % 10000}`;
const users = {
  byEmail: { username: `uemail${tag}`, phone: "+12025550151" },
  bySms: { username: `usms${tag}`, phone: "+12025550152" },
  phoneChange: { username: `uphone${tag}`, phone: "+12025550153" },
  reset: { username: `ureset${tag}`, phone: "+12025550154" },
  confirm: { username: `uconf${tag}`, phone: "+12025550155" },
};
const emailOf = (u: string) => `${u}@example.test`;
const NEW_PHONE = { typed: "(202) 555-0156", e164: "+12025550156" };

test.describe.configure({ mode: "serial" });

// Accounts that sign in with the original password get one; the others come in by import.
const { app, mail, sms } = ownPortal({
  env: { TRUST_PROXY: "loopback" },
  sms: { secret: SECRET, path: "/sms" },
  accounts: [users.bySms, users.reset, ...[users.byEmail, users.phoneChange, users.confirm].map((u) => ({ ...u, password: PASSWORD }))],
});
const probe = probes(() => app);

const newContext = contexts("10.5");
async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, app);
  return { context, page: await context.newPage() };
}

/** The next SMS to a number, after `action` runs. */
async function nextSms(to: string, action: () => Promise<unknown>, match: RegExp = /./): Promise<Sms> {
  const before = sms.to(to).length;
  await action();
  const text = await sms.waitFor((m) => m.to === to && match.test(m.body) && sms.to(to).indexOf(m) >= before);
  expect(verifyWebhookSignature(SECRET, text.request.rawBody, text.request.headers["x-signature"])).toBe(true);
  return text;
}

async function signIn(page: Page, username: string, password = PASSWORD) {
  await submitSignIn(page, username, password);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("username")).toHaveText(username);
}

test("username recovery by email: the real email lists the username, which then signs in", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  const { username } = users.byEmail;
  await page.goto("/forgot-username");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Forgot your username?");
  await checkPage(page);
  await page.getByLabel("Email or phone number").fill(emailOf(username).toUpperCase());
  await page.getByRole("button", { name: "Send my username", exact: true }).click();
  await expect(page).toHaveURL(/\/forgot-username\/sent$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your messages");
  await expect(page.locator("body")).not.toContainText(username);
  await checkPage(page);

  const email = await mail.waitFor((m) => m.to.includes(emailOf(username)) && /username/i.test(m.subject));
  const found = email.text.match(/Username: (\S+)/);
  expect(found?.[1]).toBe(username);
  const login = email.text.match(/Sign in: (\S+)/)![1];
  expect(login).toBe(`${app.origin}/login`);
  await page.goto(login);
  await signIn(page, found![1]);
  await context.close();
});

test("username recovery by SMS to the verified phone", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  const { username, phone } = users.bySms;
  await page.goto("/forgot-username");
  const text = await nextSms(phone, async () => {
    await page.getByLabel("Email or phone number").fill("(202) 555-0152");
    await page.getByRole("button", { name: "Send my username", exact: true }).click();
    await expect(page).toHaveURL(/\/forgot-username\/sent$/);
  });
  expect(text.body).toContain(`username for this number: ${username}`);
  await expect(page.locator("body")).not.toContainText(username);
  await expect(page.locator("body")).not.toContainText("0152");
  await context.close();
});

test("phone change on /account with the SMS code; the old phone is told", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  const { username, phone } = users.phoneChange;
  await signIn(page, username);
  await page.getByRole("link", { name: "Change phone" }).click();
  await expect(page).toHaveURL(/\/account\/phone$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Change your phone number");
  await checkPage(page);

  const text = await nextSms(NEW_PHONE.e164, async () => {
    await page.getByLabel("New phone number").fill(NEW_PHONE.typed);
    await page.getByRole("button", { name: "Send a code", exact: true }).click();
    await expect(page.getByText(`We sent a code to ${NEW_PHONE.e164}`)).toBeVisible();
  });
  expect(text.body).toMatch(/code to confirm this phone number is \d{6}/);
  // Second step: the code form. Nothing is saved yet.
  await checkPage(page);
  expect(probe.userRow(username)!.phone).toBe(phone);

  const told = await nextSms(
    phone,
    async () => {
      await page.getByLabel("Code").fill(smsCode(text));
      await page.getByRole("button", { name: "Confirm", exact: true }).click();
      await expect(page).toHaveURL(/\/account\?changed=phone$/);
    },
    /was changed/,
  );
  await expect(page.getByText("Your phone number was changed and confirmed")).toBeVisible();
  await expect(page.locator("dd").filter({ hasText: NEW_PHONE.e164 })).toContainText("verified");
  expect(told.body).toContain(username);
  await mail.waitFor((m) => m.to.includes(emailOf(username)) && /phone number was changed/.test(m.subject));
  await context.close();
});

test("reset by SMS code: 'Check your phone', the texted code, a new password, sign in", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  const { username, phone } = users.reset;
  await page.goto("/forgot-password");
  const text = await nextSms(
    phone,
    async () => {
      await page.getByLabel("Username, email or phone number").fill("202 555 0154");
      await page.getByRole("button", { name: "Send link and code", exact: true }).click();
      await expect(page).toHaveURL(/\/forgot-password\/code$/);
    },
    /reset code/,
  );
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your phone");
  await expect(page).toHaveTitle(/^Check your phone\b/);
  await expect(page.locator("body")).not.toContainText("0154");
  await checkPage(page);

  await page.getByLabel("Code").fill(smsCode(text));
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page).toHaveURL(/\/reset\/password$/);
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password", exact: true }).click();
  await expect(page).toHaveURL(/\/reset\/done$/);
  await signIn(page, username, NEW_PASSWORD);
  await context.close();
});

test("an older session confirms its password on /account/confirm before /account/email (axe, 360 px)", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  const { username } = users.confirm;
  await signIn(page, username);
  const before = (await context.cookies()).find((c) => c.name === "session")?.value;
  await page.goto("/account/email");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Change your email address");
  await checkPage(page);

  await app.advanceClock(10 * 60_000 + 1000);
  await page.goto("/account/email");
  await expect(page).toHaveURL(/\/account\/confirm\?next=%2Faccount%2Femail$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");
  await checkPage(page);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page).toHaveURL(/\/account\/email$/);
  const after = (await context.cookies()).find((c) => c.name === "session")?.value;
  expect(after).toBeTruthy();
  expect(after).not.toBe(before);

  // The change itself, with the code from the real email.
  await page.getByLabel("New email address").fill(`new-${emailOf(username)}`);
  await page.getByRole("button", { name: "Send a code", exact: true }).click();
  const verify = await mail.waitFor((m) => m.to.includes(`new-${emailOf(username)}`));
  await expect(page.getByText(`We sent a code to new-${emailOf(username)}`)).toBeVisible();
  await checkPage(page);
  await page.getByLabel("Code").fill(codeIn(verify));
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page).toHaveURL(/\/account\?changed=email$/);
  await expect(page.getByText(`new-${emailOf(username)}`)).toBeVisible();
  await context.close();
});
