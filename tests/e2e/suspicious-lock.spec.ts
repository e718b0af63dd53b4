import { test, expect, type Browser } from "@playwright/test";
import { addAccounts } from "../helpers/app";
import { linkIn } from "../helpers/smtp-sink";
import { probes } from "../helpers/probes";
import { expectNoAxeViolations, ownPortal, uniqueName } from "./fixtures";

/**
 * The suspicious-activity lock in a real browser with real SMTP (issue 14, "Locks"): reset
 * requests for one account from more networks than SUSPICIOUS_NETWORKS_PER_HOUR within an hour
 * lock it; every requester sees the ordinary answer; the customer gets one lock e-mail whose way
 * out, /unlock, lifts the lock in the browser. Each browser presents its own network through
 * X-Forwarded-For, which this portal believes from loopback (TRUST_PROXY=loopback).
 */

const THRESHOLD = 2;
const owner = uniqueName("wanderer");
const emailOf = (u: string) => `${u}@example.test`;

test.describe.configure({ mode: "serial" });

const { app, mail } = ownPortal({
  env: { TRUST_PROXY: "loopback", SUSPICIOUS_NETWORKS_PER_HOUR: String(THRESHOLD) },
  setup: async () => {
    const added = await addAccounts(app, [{ username: owner, password: "granite willow ferry compass" }]);
    for (const r of added) expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});
const probe = probes(() => app);
const url = (p: string) => app.origin + p;

/** One browser on network 10.83.<n>.0/24 asks for a reset of `identifier`, as a customer would. */
async function askFrom(browser: Browser, n: number, identifier: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": `10.83.${n}.7` } });
  try {
    const page = await context.newPage();
    await page.goto(url("/forgot-password"));
    await page.getByLabel("Username, email or phone number").fill(identifier);
    await page.getByRole("button", { name: "Send link and code" }).click();
    await expect(page).toHaveURL(url("/forgot-password/code"));
    await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  } finally {
    await context.close();
  }
}

test("requests from more networks than the threshold lock the account, the customer gets one lock e-mail, and its /unlock way out lifts it", async ({ browser }) => {
  const locks = () => probe.locksOf(probe.userId(owner));
  for (let n = 1; n <= THRESHOLD; n++) await askFrom(browser, n, owner);
  expect(locks()).toHaveLength(0);

  // One network more: locked, and the requester's page is the same as every other's.
  await askFrom(browser, THRESHOLD + 1, owner);
  expect(locks()).toMatchObject([{ reason: "suspicious_activity", ended_at: null, created_by: "system" }]);

  const notice = await mail.waitFor((m) => m.to.includes(emailOf(owner)) && /was locked/.test(m.subject));
  expect(notice.text).toContain("many different networks");
  // Another request within the hour: no second lock, no second e-mail.
  await askFrom(browser, THRESHOLD + 2, owner);
  expect(locks()).toHaveLength(1);

  // The customer follows the e-mail's way out in their own browser.
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "10.83.200.7" } });
  try {
    const page = await context.newPage();
    const wayOut = /https?:\/\/\S+\/unlock(?=[\s.,)]|$)/.exec(notice.text)?.[0];
    expect(wayOut).toBe(url("/unlock"));
    await page.goto(wayOut!);
    await expect(page.getByRole("heading", { level: 1, name: "Account locked?" })).toBeVisible();
    await expectNoAxeViolations(page, "unlock page from the lock e-mail");
    await page.getByLabel("Username, email or phone number").fill(owner);
    await page.getByRole("button", { name: "Send link and code" }).click();
    await expect(page).toHaveURL(url("/unlock/code"));
    const unlockMail = await mail.waitFor((m) => m.to.includes(emailOf(owner)) && /^Unlock/.test(m.subject));
    await page.goto(linkIn(unlockMail, "/unlock/"));
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page).toHaveURL(url("/unlock/verified"));
    await page.getByRole("button", { name: "Unlock and keep my password" }).click();
    await expect(page).toHaveURL(url("/unlock/done"));
    await expect(page.getByRole("heading", { level: 1, name: "You can sign in again" })).toBeVisible();
  } finally {
    await context.close();
  }
  expect(locks()).toMatchObject([{ reason: "suspicious_activity", end_reason: "self_service_unlock" }]);
  expect(mail.to(emailOf(owner)).filter((m) => /was locked/.test(m.subject))).toHaveLength(1);
});
