import AxeBuilder from "@axe-core/playwright";
import { generate } from "otplib";
import { test as base, expect, type Browser, type BrowserContextOptions, type CDPSession, type Page } from "@playwright/test";
import { addAccounts, startApp, type TestApp } from "../helpers/app";
import { Client } from "../helpers/http";
import { livePortal, type PortalOptions } from "../helpers/live-portal";
import { linkIn, startSmtpSink, type CaughtMail, type SmtpSink } from "../helpers/smtp-sink";

export type Portal = { app: TestApp; mail: SmtpSink };

/** Starts a portal with a real SMTP server for one worker; stops both after it. */
async function workerPortal(env: Record<string, string>, use: (portal: Portal) => Promise<void>) {
  const mail = await startSmtpSink();
  const app = await startApp({ smtpUrl: mail.url, env });
  await use({ app, mail });
  await app.stop();
  await mail.close();
}

/** One portal and one real SMTP server per Playwright worker. */
export const test = base.extend<{ baseURL: string }, { portal: Portal }>({
  // eslint-disable-next-line no-empty-pattern
  portal: [async ({}, use) => workerPortal({}, use), { scope: "worker", timeout: 60_000 }],
  baseURL: async ({ portal }, use) => {
    await use(portal.app.origin);
  },
});

/** The same, with the worker's portal started with `env` (e.g. TRUST_PROXY or raised limits). */
export function portalTest(env: Record<string, string>) {
  // eslint-disable-next-line no-empty-pattern
  return test.extend<object, { portal: Portal }>({ portal: [async ({}, use) => workerPortal(env, use), { scope: "worker", timeout: 60_000 }] });
}

export { expect };

/**
 * A spec's own portal rather than the worker's (see tests/helpers/live-portal), for serial specs
 * that need their own SMS receiver or settings: `const { app, mail, sms } = ownPortal({ env, accounts })`.
 */
export function ownPortal(options: PortalOptions) {
  return livePortal({ beforeAll: (fn) => base.beforeAll(async () => (base.setTimeout(120_000), fn())), afterAll: (fn) => base.afterAll(fn) }, options);
}

let counter = 0;
/** A unique username per test so tests sharing a worker's portal never collide. */
export function uniqueName(prefix = "user"): string {
  counter++;
  return `${prefix}${process.pid % 1000}${Date.now() % 100000}${counter}`;
}

/** What axe finds on the page, one line per violation (`[]` when the page passes). */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** axe finds nothing on the page (`label` names it in a failure). */
export async function expectNoAxeViolations(page: Page, label = "") {
  expect(await axeViolations(page), `axe on ${label} ${page.url()}`).toEqual([]);
}

/** axe finds nothing, and at 360 px wide the page does not scroll sideways. */
export async function checkPage(page: Page) {
  expect(await axeViolations(page), `axe on ${page.url()}`).toEqual([]);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth, `horizontal scroll at 360 px on ${page.url()}`).toBeLessThanOrEqual(360);
  if (size) await page.setViewportSize(size);
}


/**
 * Makes browser contexts on a portal, each sending its own X-Forwarded-For address under `prefix`
 * (the portals trust loopback), so per-IP limits trip only where a test means them to.
 */
export function contexts(prefix: string) {
  let n = 0;
  return (browser: Browser, app: TestApp, options: BrowserContextOptions = {}) =>
    browser.newContext({ baseURL: app.origin, extraHTTPHeaders: { "x-forwarded-for": `${prefix}.${process.pid % 200}.${(++n % 250) + 1}` }, ...options });
}

/** Types a username (or email) and password on /login and presses "Sign in". */
export async function submitSignIn(page: Page, identifier: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(identifier);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The n-th (0-based) message to `address` whose subject matches, waiting for it. */
export async function nthMail(mail: SmtpSink, address: string, subject: RegExp, n: number): Promise<CaughtMail> {
  const pick = () => mail.to(address).filter((m) => subject.test(m.subject))[n];
  await mail.waitFor(() => pick() !== undefined);
  return pick();
}
export const countMail = (mail: SmtpSink, address: string, subject: RegExp) => mail.to(address).filter((m) => subject.test(m.subject)).length;

/**
 * Imports accounts without a password (one CLI run), then gives each one the way a customer would:
 * a reset by username, the email link, Continue, the new password (checked to end on /reset/done).
 * Each account's requests come from its own address under `ipPrefix`.
 */
export async function importWithPasswords(portal: Portal, usernames: string[], password: string, ipPrefix: string) {
  const { app, mail } = portal;
  await addAccounts(app, usernames.map((username) => ({ username })));
  await Promise.all(
    usernames.map(async (u, i) => {
      const c = new Client(app.origin, { "x-forwarded-for": `${ipPrefix}.${process.pid % 200}.${200 + i}` });
      expect((await c.post("/forgot-password", { identifier: u })).status).toBe(303);
      const m = await mail.waitFor((x) => x.to.includes(`${u}@example.test`) && /^Reset your/.test(x.subject));
      expect((await c.post(new URL(linkIn(m, "/reset/")).pathname, {})).status).toBe(303);
      const set = await c.post("/reset/password", { password, confirm: password });
      expect(set.headers.get("location"), u).toBe("/reset/done");
    }),
  );
}

/** A platform authenticator with user verification (a CDP virtual authenticator) attached to this page. */
export async function addAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/**
 * Staff sign-in in a browser, as the console asks it: password, then the authenticator, set up
 * from the secret the set-up page shows on a staff member's first sign-in and remembered per
 * e-mail for later sign-ins. Codes are made for the portal's clock (tests may move it).
 */
export function staffBrowser(origin: () => string, password: string) {
  const secrets = new Map<string, string>();
  const url = (p: string) => origin() + p;
  async function portalNow(): Promise<number> {
    const res = await fetch(url("/__test/clock"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceMs: 0 }) });
    return ((await res.json()) as { now: number }).now;
  }
  /** The current authenticator code of `email` (signed in once with `enrol`). */
  async function code(email: string): Promise<string> {
    const secret = secrets.get(email);
    if (!secret) throw new Error(`${email} has not set up an authenticator in this test`);
    return generate({ secret, epoch: Math.floor((await portalNow()) / 1000) });
  }
  /** The password step, on /support/login. */
  async function passwordStep(page: Page, email: string) {
    await page.goto(url("/support/login"));
    await page.getByLabel("Staff email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Continue" }).click();
  }
  /** First sign-in: password, authenticator set-up, then the ticket list. */
  async function enrol(page: Page, email: string) {
    await passwordStep(page, email);
    await expect(page).toHaveURL(url("/support/setup"));
    secrets.set(email, (await page.getByTestId("totp-secret").textContent())?.trim() ?? "");
    await page.getByLabel("Code").fill(await code(email));
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
    await expect(page).toHaveURL(url("/support"));
  }
  return { code, passwordStep, enrol };
}
