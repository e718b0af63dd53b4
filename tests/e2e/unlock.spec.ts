import { test, expect, type Page } from "@playwright/test";
import { addAccounts } from "../helpers/app";
import { codeIn, linkIn } from "../helpers/smtp-sink";
import { Client } from "../helpers/http";
import { probes } from "../helpers/probes";
import { expectNoAxeViolations, ownPortal, uniqueName } from "./fixtures";

/**
 * Self-service unlock in a real browser (RL-04, NTF-02, DESIGN.md "Lockout"): an account locked by
 * ten wrong passwords at /login, the generic refusal with its way out, the real unlock email, and
 * both choices on the verified page. Every page of the flow is checked with axe.
 *
 * This file runs its own portal (not the shared worker fixture) so it can raise the per-address
 * sign-in limit: all browser traffic comes from 127.0.0.1. Lockout delays run on the portal's
 * test clock, which the test moves forward instead of waiting.

 */

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "velvet canyon orbit maple tundra";
const DELAY_MS = 30_000; // LOCKOUT_DELAY_SECONDS default
const SIGN_IN_FAILED = "That username or email and password don't match. Check them and try again.";

test.describe.configure({ mode: "serial" });

const keeper = uniqueName("keeper");
const chooser = uniqueName("chooser");
const emailOf = (u: string) => `${u}@example.test`;

const { app, mail } = ownPortal({
  env: { LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100" },
  setup: async () => {
    const added = await addAccounts(app, [keeper, chooser].map((username) => ({ username, password: PASSWORD })));
    for (const r of added) expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});
const probe = probes(() => app);

const url = (p: string) => app.origin + p;


/** Progressive delays apply from the 5th failure of each round: wait them out on the portal's clock. */
async function waitOutDelay(failures: number) {
  const round = failures % 10;
  if (round >= 5) await app.advanceClock(DELAY_MS * 2 ** (round - 5) + 1000);
}

async function submitSignIn(page: Page, identifier: string, password: string) {
  await page.getByLabel("Username or email").fill(identifier);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/login")),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
}

async function lockOverHttp(username: string) {
  for (let i = 1; i <= 10; i++) {
    const res = await new Client(app.origin).post("/login", { identifier: username, password: `http guess ${i}` });
    expect(res.status).toBe(400);
    await waitOutDelay(i);
  }
}

const openLock = (username: string) => probe.latestLockOf(probe.userId(username))!;

async function requestUnlock(page: Page, username: string) {
  await page.goto(url("/unlock"));
  await page.getByLabel("Username, email or phone number").fill(username);
  await page.getByRole("button", { name: "Send link and code" }).click();
  await expect(page).toHaveURL(url("/unlock/code"));
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  return mail.waitFor((m) => m.to.includes(emailOf(username)) && /^Unlock/.test(m.subject));
}

test("ten wrong passwords lock the account; the unlock email's link unlocks it and the old password works again", async ({ page, browser }) => {
  await page.goto(url("/login"));
  for (let i = 1; i <= 10; i++) {
    await submitSignIn(page, keeper, `wrong guess number ${i}`);
    await expect(page.getByRole("alert")).toContainText(SIGN_IN_FAILED);
    await waitOutDelay(i);
  }
  expect(openLock(keeper)).toMatchObject({ ended_at: null });

  // The right password now gets exactly the same refusal, plus the way out.
  await submitSignIn(page, keeper, PASSWORD);
  await expect(page).toHaveURL(url("/login"));
  const alert = page.getByRole("alert");
  await expect(alert).toContainText(SIGN_IN_FAILED);
  await alert.getByRole("link", { name: "Unlock your account" }).click();
  await expect(page).toHaveURL(url("/unlock"));
  await expect(page.getByRole("heading", { level: 1, name: "Account locked?" })).toBeVisible();
  await expectNoAxeViolations(page);

  const message = await requestUnlock(page, keeper);
  await expectNoAxeViolations(page);
  const link = linkIn(message, "/unlock/");

  // The link opens on another device; nothing changes until Continue and the choice.
  const other = await browser.newContext();
  try {
    const phone = await other.newPage();
    await phone.goto(link);
    await expect(phone.getByRole("heading", { level: 1, name: "Unlock your account" })).toBeVisible();
    await expectNoAxeViolations(phone);
    expect(openLock(keeper).ended_at).toBeNull();

    await phone.getByRole("button", { name: "Continue" }).click();
    await expect(phone).toHaveURL(url("/unlock/verified"));
    await expect(phone.getByRole("button", { name: "Unlock and keep my password" })).toBeVisible();
    await expect(phone.getByRole("button", { name: "Unlock and choose a new password" })).toBeVisible();
    await expectNoAxeViolations(phone);
    expect(openLock(keeper).ended_at).toBeNull();

    await phone.getByRole("button", { name: "Unlock and keep my password" }).click();
    await expect(phone).toHaveURL(url("/unlock/done"));
    await expect(phone.getByRole("heading", { level: 1, name: "You can sign in again" })).toBeVisible();
    await expectNoAxeViolations(phone);
    expect(openLock(keeper)).toMatchObject({ end_reason: "self_service_unlock" });

    const notice = await mail.waitFor((m) => m.to.includes(emailOf(keeper)) && /was unlocked/.test(m.subject));
    expect(notice.text).toMatch(/This wasn.t me/);

    await phone.getByRole("link", { name: "Sign in", exact: true }).last().click();
    await expect(phone).toHaveURL(url("/login"));
    await submitSignIn(phone, keeper, PASSWORD);
    await expect(phone).toHaveURL(url("/account"));
    await expect(phone.getByText(keeper, { exact: true })).toBeVisible();
  } finally {
    await other.close();
  }
});

test("'Unlock and choose a new password' leads to 'Choose a new password', and the new password signs in", async ({ page }) => {
  await lockOverHttp(chooser);
  expect(openLock(chooser)).toMatchObject({ ended_at: null });

  // This time the code from the email, typed where it was asked for.
  const message = await requestUnlock(page, chooser);
  await page.getByLabel("Code").fill(codeIn(message));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(url("/unlock/verified"));

  await page.getByRole("button", { name: "Unlock and choose a new password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Choose a new password" })).toBeVisible();
  expect(openLock(chooser)).toMatchObject({ end_reason: "self_service_unlock" });
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your password was changed" })).toBeVisible();

  await page.goto(url("/login"));
  await submitSignIn(page, chooser, PASSWORD);
  await expect(page.getByRole("alert")).toContainText(SIGN_IN_FAILED);
  await submitSignIn(page, chooser, NEW_PASSWORD);
  await expect(page).toHaveURL(url("/account"));
});

test("the 429 page is accessible", async ({ page }) => {
  const identifier = uniqueName("flood");
  // Spend the identifier's budget from the same address the browser uses (no trusted proxy here).
  const c = new Client(app.origin);
  for (let i = 0; i < 5; i++) expect((await c.post("/unlock", { identifier })).status).toBe(303);

  await page.goto(url("/unlock"));
  await page.getByLabel("Username, email or phone number").fill(identifier);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/unlock")),
    page.getByRole("button", { name: "Send link and code" }).click(),
  ]);
  expect(response.status()).toBe(429);
  await expect(page.getByRole("heading", { level: 1, name: "Too many attempts" })).toBeVisible();
  await expect(page.getByText("You've tried this too many times")).toBeVisible();
  await expectNoAxeViolations(page);

  // Without JavaScript the same refusal is a full page with Retry-After.
  const plain = await c.post("/unlock", { identifier });
  expect(plain.status).toBe(429);
  expect(Number(plain.headers.get("retry-after"))).toBeGreaterThan(0);
});

