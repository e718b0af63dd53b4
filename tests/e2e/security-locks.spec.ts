import type { Browser, BrowserContext, Page } from "@playwright/test";
import { addAuthenticator, expect, nthMail, portalTest, uniqueName } from "./fixtures";
import type { TestApp } from "../helpers/app";
import { Client } from "../helpers/http";
import { pick, probes } from "../helpers/probes";
import { linkIn } from "../helpers/smtp-sink";

/**
 * H1 of the security review (2026-11-27): a passkey is no way around a lock. In real Chromium
 * with a CDP virtual authenticator, as the review's black-box test describes: a customer adds a
 * passkey; a failed-attempts lock, and later a "This wasn't me" report, must stop passkey
 * sign-in (no session cookie) and the passkey-started reset — while the passkey itself is still
 * registered, so the refusal is the lock's doing.
 */

const test = portalTest({ TRUST_PROXY: "loopback", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24" });
test.use({ trace: "off" });

const PASSWORD = "granite willow ferry compass";
const DAY = 86_400_000;
const email = (u: string) => `${u}@example.test`;

let ipCounter = 0;
const nextIp = () => `10.93.${process.pid % 200}.${(++ipCounter % 250) + 1}`;
const newContext = (browser: Browser, app: TestApp) => browser.newContext({ baseURL: app.origin, extraHTTPHeaders: { "x-forwarded-for": nextIp() } });


async function sessionCookie(ctx: BrowserContext) {
  return (await ctx.cookies()).find((c) => /(^|-)session$/.test(c.name));
}

/** Presses "Sign in with a passkey" on /login and expects the refusal, with no session. */
async function passkeySignInRefused(page: Page) {
  await page.goto("/login");
  const answer = page.waitForResponse((r) => r.url().endsWith("/webauthn") && (r.request().postData() ?? "").includes('"verify"'));
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  const res = await answer;
  expect(res.status()).toBe(400);
  expect((await res.headersArray()).filter((h) => h.name.toLowerCase() === "set-cookie" && /^(__Host-)?session=[^;]/.test(h.value))).toEqual([]);
  await expect(page.getByRole("alert")).toContainText("That passkey didn't work");
  await expect(page).toHaveURL(/\/login$/);
  expect(await sessionCookie(page.context())).toBeUndefined();
}

test("H1 RL-04 MFA-05 a passkey cannot sign in to a locked account, nor reset the password of one locked after a report", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const username = uniqueName("h1");
  const r = await app.importUsers([username]);
  expect(r.code, r.stderr).toBe(0);
  // A password through an ordinary e-mail reset.
  const setup = new Client(app.origin, { "x-forwarded-for": nextIp() });
  expect((await setup.post("/forgot-password", { identifier: username })).status).toBe(303);
  const resetMail = await nthMail(mail, email(username), /^Reset your/, 0);
  expect((await setup.post(new URL(linkIn(resetMail, "/reset/")).pathname, {})).status).toBe(303);
  expect((await setup.post("/reset/password", { password: PASSWORD, confirm: PASSWORD })).headers.get("location")).toBe("/reset/done");

  // Sign in and add a passkey.
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  await addAuthenticator(page);
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.goto("/account/security");
  await page.getByLabel("Name for this passkey").fill("Laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page).toHaveURL(/\/account\/security\?added=passkey$/);
  await ctx.clearCookies();

  // 1. Ten wrong passwords from ten addresses: a temporary failed-attempts lock.
  for (let i = 0; i < 10; i++) {
    const c = new Client(app.origin, { "x-forwarded-for": nextIp() });
    let res = await c.post("/login", { identifier: username, password: `not it ${i}` });
    if (res.status === 429) {
      await app.advanceClock(Number(res.headers.get("retry-after")) * 1000 + 1000);
      res = await c.post("/login", { identifier: username, password: `not it ${i}` });
    }
    expect(res.status).toBe(400);
  }
  await passkeySignInRefused(page);

  // 2. Eight days on (the lock has run out, the passkey is older than a week): the passkey signs
  //    in again, and the owner creates recovery codes, whose notice carries "This wasn't me".
  await app.advanceClock(8 * DAY);
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.goto("/account/security");
  await page.getByRole("button", { name: /Create (new )?recovery codes/ }).click();
  await expect(page.getByTestId("recovery-codes")).toBeVisible();
  const notice = await nthMail(mail, email(username), /security settings changed/, 1);
  await page.goto(new URL(linkIn(notice, "/report/")).pathname);
  await page.getByRole("button", { name: "Secure my account" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("We've secured your account");
  await ctx.clearCookies();
  const probe = probes(() => app);
  const userId = probe.userId(username);
  expect(pick(probe.openLocksOf(userId), "reason")).toEqual([{ reason: "reported_compromise" }]);
  expect(probe.passkeysOf(userId)).toHaveLength(1);

  // The passkey holder can neither sign in nor reset the password.
  await passkeySignInRefused(page);
  await page.goto("/forgot-password");
  const answer = page.waitForResponse((res) => res.url().endsWith("/webauthn") && (res.request().postData() ?? "").includes('"verify"'));
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  expect((await answer).status()).toBe(400);
  await expect(page).not.toHaveURL(/\/reset\/password$/);
  expect((await page.goto("/reset/password"))!.status()).toBe(403);
  await ctx.close();
});
