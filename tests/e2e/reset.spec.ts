import { request as playwrightRequest, type Page } from "@playwright/test";
import { contexts, countMail, expect, expectNoAxeViolations, nthMail, portalTest, submitSignIn, uniqueName } from "./fixtures";
import { addAccounts } from "../helpers/app";
import { codeIn, linkIn, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Password reset in a real browser, reading real emails from the SMTP sink: the link path across
 * two browsers, the code path (with and without JavaScript), scanners, dead ends, the password
 * rules on screen, sign-out everywhere, accessibility and the landing page's network traffic.
 *
 * The portal here trusts X-Forwarded-For from loopback and every browser context sends its own
 * address, so the per-IP limits (which are not under test here) never interfere.
 */

const test = portalTest({ TRUST_PROXY: "loopback" });

// Other engineers run Playwright in this tree at the same time and wipe test-results/: no traces.
test.use({ trace: "off" });

const OLD_PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";

const newContext = contexts("10.4");

/** On failure, show the end of the portal's log (it never holds secrets: LOG-02). */
test.afterEach(async ({ portal }, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(`portal log tail:\n${portal.app.logs().slice(-4000)}`);
});

/** Usernames for this worker; all created in one go, with a password where a test signs in with the old one. */
const users = {
  linkPath: uniqueName("link"),
  codePath: uniqueName("code"),
  scanner: uniqueName("scan"),
  expired: uniqueName("exp"),
  reused: uniqueName("reuse"),
  wrongCode: uniqueName("wrong"),
  weak: uniqueName("weak"),
  signedOut: uniqueName("sesout"),
  noJs: uniqueName("nojs"),
  axe: uniqueName("axe"),
  traffic: uniqueName("net"),
};
const email = (u: string) => `${u}@example.test`;

test.beforeAll(async ({ portal }) => {
  const withPassword = [users.linkPath, users.signedOut];
  await addAccounts(
    portal.app,
    Object.values(users).map((u) => ({ username: u, password: withPassword.includes(u) ? OLD_PASSWORD : undefined })),
  );
});

// ---- helpers --------------------------------------------------------------------------------

/** Fills in "Forgot your password?" and returns the email it caused. */
async function askForReset(page: Page, mail: SmtpSink, username: string): Promise<{ link: string; token: string; code: string }> {
  const before = countMail(mail, email(username), /reset/i);
  await page.goto("/forgot-password");
  await page.getByLabel("Username, email or phone number").fill(username);
  await page.getByRole("button", { name: "Send link and code" }).click();
  await expect(page).toHaveURL(/\/forgot-password\/code$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  const m = await nthMail(mail, email(username), /reset/i, before);
  const link = linkIn(m, "/reset/");
  return { link, token: link.slice(link.lastIndexOf("/") + 1), code: codeIn(m) };
}

async function typeCode(page: Page, code: string) {
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("main").getByRole("button", { name: "Continue" }).click();
}

async function choosePassword(page: Page, password: string, confirm = password) {
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Confirm new password", { exact: true }).fill(confirm);
  await page.getByRole("button", { name: "Set new password" }).click();
}

const signIn = submitSignIn;


// ---- tests ----------------------------------------------------------------------------------

test("TOK-11 SES-01 link path across two browsers: ask in A, finish in B, sign in with the new password only", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const username = users.linkPath;
  const a = await newContext(browser, app);
  const b = await newContext(browser, app);
  const pageA = await a.newPage();
  const { link, token } = await askForReset(pageA, mail, username);

  const pageB = await b.newPage();
  await pageB.goto(link);
  await expect(pageB.getByRole("heading", { level: 1 })).toHaveText("Reset your password");
  await pageB.getByRole("button", { name: "Continue" }).click();
  await expect(pageB).toHaveURL(/\/reset\/password$/);
  expect(pageB.url()).not.toContain(token);
  const recovery = (await b.cookies()).find((c) => c.name === "recovery" || c.name === "__Host-recovery");
  expect(recovery).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
  await choosePassword(pageB, NEW_PASSWORD);
  await expect(pageB).toHaveURL(/\/reset\/done$/);
  await expect(pageB.getByRole("heading", { level: 1 })).toHaveText("Your password was changed");
  expect((await b.cookies()).some((c) => /session/.test(c.name))).toBe(false);

  // No automatic sign-in: the customer signs in, with the new password.
  await pageB.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(pageB).toHaveURL(/\/login$/);
  await pageB.getByLabel("Username or email").fill(username);
  await pageB.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
  await pageB.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(pageB).toHaveURL(/\/account$/);
  await expect(pageB.getByTestId("username")).toHaveText(username);

  const c = await newContext(browser, app);
  const pageC = await c.newPage();
  await signIn(pageC, username, OLD_PASSWORD);
  await expect(pageC.getByText("That username or email and password don't match")).toBeVisible();
  await expect(pageC).toHaveURL(/\/login$/);
  await Promise.all([a.close(), b.close(), c.close()]);
});

test("OTP-03 code path in one browser", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  const { code } = await askForReset(page, mail, users.codePath);
  await typeCode(page, code);
  await expect(page).toHaveURL(/\/reset\/password$/);
  await choosePassword(page, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/reset\/done$/);
  await signIn(page, users.codePath, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);
  await ctx.close();
});

test("TOK-10 a mail scanner (GET x3, HEAD, cookie-less POST) does not stop the customer", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const asker = await newContext(browser, app);
  const { link } = await askForReset(await asker.newPage(), mail, users.scanner);
  const scanner = await playwrightRequest.newContext({ extraHTTPHeaders: { "x-forwarded-for": "10.4.250.250" } });
  for (let i = 0; i < 3; i++) expect((await scanner.get(link, { maxRedirects: 0 })).status()).toBe(200);
  expect((await scanner.head(link, { maxRedirects: 0 })).status()).toBe(200);
  const post = await scanner.post(link, { form: {}, maxRedirects: 0 });
  expect(post.status()).toBeLessThan(500);
  await scanner.dispose();

  const customer = await newContext(browser, app);
  const page = await customer.newPage();
  await page.goto(link);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/reset\/password$/);
  await choosePassword(page, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/reset\/done$/);
  await Promise.all([asker.close(), customer.close()]);
});

test("TOK-05 an expired link is a dead end that offers a new link", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  const { link } = await askForReset(page, mail, users.expired);
  await app.advanceClock(31 * 60_000);
  const res = await page.goto(link);
  expect(res?.status()).toBe(410);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This link has expired");
  await expect(page.getByRole("button", { name: "Continue" })).toHaveCount(0);
  const again = page.getByRole("link", { name: "Get a new link" });
  await expect(again).toHaveAttribute("href", "/forgot-password");
  await expect(page.getByRole("main").getByRole("link", { name: /support team/ })).toBeVisible();
  await expectNoAxeViolations(page, "dead end (expired)");
  await again.click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await ctx.close();
});

test("TOK-04 a used link is a dead end", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  const { link } = await askForReset(page, mail, users.reused);
  await page.goto(link);
  await page.getByRole("button", { name: "Continue" }).click();
  await choosePassword(page, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/reset\/done$/);
  const other = await newContext(browser, app);
  const page2 = await other.newPage();
  const res = await page2.goto(link);
  expect(res?.status()).toBe(410);
  await expect(page2.getByRole("heading", { level: 1 })).toHaveText("This link was already used");
  await expect(page2.getByRole("link", { name: "Get a new link" })).toBeVisible();
  await Promise.all([ctx.close(), other.close()]);
});

test("OTP-05 five wrong codes end the code: 'Too many wrong codes'", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  const { code } = await askForReset(page, mail, users.wrongCode);
  for (let k = 1; k <= 5; k++) {
    await typeCode(page, String((Number(code) + k) % 1_000_000).padStart(6, "0"));
    if (k < 5) await expect(page.getByText(`You have ${5 - k} ${5 - k === 1 ? "try" : "tries"} left`)).toBeVisible();
  }
  await expect(page.getByText("Too many wrong codes")).toBeVisible();
  await typeCode(page, code);
  await expect(page.getByText("Too many wrong codes")).toBeVisible();
  await expect(page).toHaveURL(/\/forgot-password\/code$/);
  await ctx.close();
});

test("PWD-05 a weak password shows its reason and the strength meter", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  const { code } = await askForReset(page, mail, users.weak);
  await typeCode(page, code);
  await expect(page).toHaveURL(/\/reset\/password$/);
  const weak = "passwordpassword1";
  await page.getByLabel("New password", { exact: true }).fill(weak);
  // The live meter (same policy code as the server) judges it before submitting.
  const meter = page.locator("meter#strength-meter");
  await expect(meter).toBeVisible();
  expect(Number(await meter.getAttribute("value"))).toBeLessThan(3);
  await expect(page.getByText(/^Strength: (Very weak|Weak|Fair)$/)).toBeVisible();
  await page.getByLabel("Confirm new password", { exact: true }).fill(weak);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.locator("#new-password-error")).toContainText("Too easy to guess");
  await expect(page.getByRole("alert")).toContainText("That password can't be used");
  await expect(page.getByLabel("New password", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(meter).toBeVisible();
  await expect(page).toHaveURL(/\/reset\/password$/);
  // A strong one then goes through.
  await choosePassword(page, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/reset\/done$/);
  await ctx.close();
});

test("SES-02 a browser signed in elsewhere is signed out by the reset", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const signedIn = await newContext(browser, app);
  const pageS = await signedIn.newPage();
  await signIn(pageS, users.signedOut, OLD_PASSWORD);
  await expect(pageS).toHaveURL(/\/account$/);

  const resetter = await newContext(browser, app);
  const pageR = await resetter.newPage();
  const { code } = await askForReset(pageR, mail, users.signedOut);
  await typeCode(pageR, code);
  await choosePassword(pageR, NEW_PASSWORD);
  await expect(pageR).toHaveURL(/\/reset\/done$/);

  await pageS.reload();
  await expect(pageS).toHaveURL(/\/login$/);
  await Promise.all([signedIn.close(), resetter.close()]);
});

test("OTP-03 the whole code path works with JavaScript disabled", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app, { javaScriptEnabled: false });
  const page = await ctx.newPage();
  const { code } = await askForReset(page, mail, users.noJs);
  await typeCode(page, "000000" === code ? "000001" : "000000");
  await expect(page.getByText("That code isn't right")).toBeVisible();
  await typeCode(page, code);
  await expect(page).toHaveURL(/\/reset\/password$/);
  await choosePassword(page, "short one");
  await expect(page.locator("#new-password-error")).toContainText("Use at least 15 characters");
  await choosePassword(page, NEW_PASSWORD, NEW_PASSWORD + "x");
  await expect(page.locator("#confirm-password-error")).toContainText("don't match");
  await choosePassword(page, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/reset\/done$/);
  await signIn(page, users.noJs, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);
  await ctx.close();
});

test("accessibility: the reset pages have no axe violations, errors included", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();

  await page.goto("/forgot-password");
  await expectNoAxeViolations(page, "forgot-password");
  const { link, code } = await askForReset(page, mail, users.axe);
  await expectNoAxeViolations(page, "code page");
  await typeCode(page, code === "000000" ? "000001" : "000000");
  await expect(page.getByText("That code isn't right")).toBeVisible();
  await expectNoAxeViolations(page, "code page with an error");

  const other = await newContext(browser, app);
  const landing = await other.newPage();
  await landing.goto(link);
  await expect(landing.getByRole("button", { name: "Continue" })).toBeVisible();
  await expectNoAxeViolations(landing, "landing page");
  await landing.getByRole("button", { name: "Continue" }).click();
  await expect(landing).toHaveURL(/\/reset\/password$/);
  await expectNoAxeViolations(landing, "new password page");
  await choosePassword(landing, "short one");
  await expect(landing.locator("#new-password-error")).toBeVisible();
  await expectNoAxeViolations(landing, "new password page with an error");
  await choosePassword(landing, NEW_PASSWORD);
  await expect(landing).toHaveURL(/\/reset\/done$/);
  await expectNoAxeViolations(landing, "done page");

  await landing.goto(`/reset/${"A".repeat(43)}`);
  await expect(landing.getByRole("heading", { level: 1 })).toHaveText("This link isn't valid");
  await expectNoAxeViolations(landing, "dead end (invalid)");
  // (The expired-link dead end is checked in the TOK-05 test.)
  await Promise.all([ctx.close(), other.close()]);
});

test("TOK-08 the landing page only talks to its own origin and never sends the token as Referer", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const asker = await newContext(browser, app);
  const { link, token } = await askForReset(await asker.newPage(), mail, users.traffic);
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  const requests: { url: string; referer?: string }[] = [];
  page.on("request", (r) => requests.push({ url: r.url(), referer: r.headers()["referer"] }));
  const res = await page.goto(link, { waitUntil: "networkidle" });
  expect(res?.status()).toBe(200);
  expect(res?.headers()["referrer-policy"]).toBe("no-referrer");
  await expect(page.getByRole("button", { name: "Continue" })).toBeVisible();
  expect(requests.length).toBeGreaterThan(1);
  for (const r of requests) {
    expect(new URL(r.url).origin, r.url).toBe(app.origin);
    expect(r.referer ?? "", r.url).not.toContain(token);
  }
  await Promise.all([asker.close(), ctx.close()]);
});
