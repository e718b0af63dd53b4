import { request as playwrightRequest, type Page } from "@playwright/test";
import { addAuthenticator, axeViolations, contexts, countMail, expect, importWithPasswords, nthMail, portalTest, submitSignIn, uniqueName } from "./fixtures";
import { linkIn, type SmtpSink } from "../helpers/smtp-sink";
import { freshTotp } from "../helpers/totp";

/**
 * Stronger factors in real Chromium (SECURITY.md MFA-01, MFA-05, MFA-06, MFA-07; DESIGN.md "Second
 * factor during reset"): passkeys through a CDP virtual authenticator (ctap2, internal, resident
 * key, user verification), the authenticator app read from the set-up page and recovery codes, and
 * accessibility of the factor pages.
 *
 * The portal trusts X-Forwarded-For from loopback and every browser context sends its own address;
 * sessions idle for a day so that moving the portal clock (TOTP steps) never signs anyone out.
 */

const test = portalTest({
  TRUST_PROXY: "loopback",
  SESSION_IDLE_MINUTES: "1440",
  SESSION_ABSOLUTE_HOURS: "24",
  LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "100",
  LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "100",
  LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "100",
});

// Other engineers run Playwright in this tree at the same time and wipe test-results/: no traces.
test.use({ trace: "off" });
// Independent tests: spread over both workers (each has its own portal and users).
test.describe.configure({ mode: "parallel" });

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";
const email = (u: string) => `${u}@example.test`;

const users = {
  passkey: uniqueName("pk"),
  replay: uniqueName("pkreplay"),
  remove: uniqueName("pkremove"),
  totp: uniqueName("totp"),
};

/**
 * One CLI import for everyone, then a password for each through an ordinary email reset (cheaper
 * than a CLI run each). In parallel mode beforeAll runs before every test a worker picks up, while
 * the worker's portal lives on: prepare the users once per worker.
 */
let prepared = false;
test.beforeAll(async ({ portal }) => {
  if (prepared) return;
  prepared = true;
  await importWithPasswords(portal, Object.values(users), PASSWORD, "10.9");
});

/** On failure, show the end of the portal's log (it never holds secrets: LOG-02). */
test.afterEach(async ({ portal }, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(`portal log tail:\n${portal.app.logs().slice(-4000)}`);
});

// ---- helpers --------------------------------------------------------------------------------

const newContext = contexts("10.8");

const signIn = (page: Page, username: string, password = PASSWORD) => submitSignIn(page, username, password);

async function signOut(page: Page) {
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

async function expectNoAxeViolations(page: Page, label: string) {
  expect(await axeViolations(page), `${label} at ${page.url()}`).toEqual([]);
  // Two fields sharing an id would tie a label to the wrong box (e.g. "Recovery code" to the TOTP field).
  const duplicateIds = await page.evaluate(() => {
    const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
    return ids.filter((id, i) => ids.indexOf(id) !== i);
  });
  expect(duplicateIds, `${label}: duplicate ids`).toEqual([]);
}

const SETTINGS_CHANGED = /security settings changed/;

/** Adds a named passkey on /account/security (needs a recent sign-in) and checks the notice email. */
async function addPasskey(page: Page, mail: SmtpSink, username: string, name: string) {
  const before = countMail(mail, email(username), SETTINGS_CHANGED);
  await page.goto("/account/security");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign-in protection");
  await page.getByLabel("Name for this passkey").fill(name);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page).toHaveURL(/\/account\/security\?added=passkey$/);
  await expect(page.getByText("Your passkey was added.")).toBeVisible();
  await expect(page.getByRole("button", { name: `Remove ${name}` })).toBeVisible();
  const m = await nthMail(mail, email(username), SETTINGS_CHANGED, before);
  expect(m.text).toContain("A passkey was added");
  expect(m.text).toContain("This wasn't me");
}

/** "Forgot your password?" by email, then the link and Continue. */
async function resetByEmail(page: Page, mail: SmtpSink, username: string) {
  const n = countMail(mail, email(username), /^Reset your/);
  await page.goto("/forgot-password");
  await page.getByLabel("Username, email or phone number").fill(username);
  await page.getByRole("button", { name: "Send link and code" }).click();
  await expect(page).toHaveURL(/\/forgot-password\/code$/);
  const m = await nthMail(mail, email(username), /^Reset your/, n);
  await page.goto(linkIn(m, "/reset/"));
  await page.getByRole("button", { name: "Continue" }).click();
}

async function choosePassword(page: Page, password: string) {
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Choose a new password");
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Confirm new password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/reset\/done$/);
}

const b64urlJson = (s: string) => JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Record<string, unknown>;

// ---- passkeys -------------------------------------------------------------------------------

test("MFA-05 MFA-06 add a named passkey, sign in with it, and reset the password with it alone", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const username = users.passkey;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  await addAuthenticator(page);
  await signIn(page, username);
  await expect(page).toHaveURL(/\/account$/);
  await addPasskey(page, mail, username, "Work laptop");

  // Sign out; the passkey alone signs in (discoverable, user-verified).
  await signOut(page);
  // The ceremony can finish and navigate before a waitForResponse reader gets the body, so the
  // options answer is read on its way through instead.
  let challenge = "";
  await page.route("**/webauthn", async (route) => {
    const res = await route.fetch();
    const body = await res.text();
    if ((route.request().postData() ?? "").includes('"options"')) challenge = (JSON.parse(body) as { options: { challenge: string } }).options.challenge;
    await route.fulfill({ response: res, body });
  });
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.unroute("**/webauthn");
  expect(Buffer.from(challenge, "base64url").length, "challenge of ≥16 random bytes").toBeGreaterThanOrEqual(16);
  await expect(page.getByTestId("username")).toHaveText(username);

  // "Use a passkey instead" goes straight to choosing a new password.
  await signOut(page);
  await page.goto("/forgot-password");
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page).toHaveURL(/\/reset\/password$/);
  await choosePassword(page, NEW_PASSWORD);
  expect((await ctx.cookies()).some((c) => /session/.test(c.name)), "no automatic sign-in").toBe(false);

  // The new password works, and (the account has a passkey) asks for it as the second step.
  await signIn(page, username, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await page.getByRole("button", { name: "Use my passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // MFA-06: ten minutes later a settings change asks again, and the passkey alone confirms it.
  await app.advanceClock(11 * 60_000);
  await page.goto("/account/security");
  await expect(page).toHaveURL(/\/account\/confirm\?next=%2Faccount%2Fsecurity$/);
  const before = (await ctx.cookies()).find((c) => c.name === "session")?.value;
  await page.getByRole("button", { name: "Confirm with my passkey" }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
  expect((await ctx.cookies()).find((c) => c.name === "session")?.value, "SES-03 a new session id after re-authentication").not.toBe(before);
  await ctx.close();
});

test("MFA-05 a replayed assertion, a verify without a fresh options call, and an altered origin are all refused", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const username = users.replay;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  await addAuthenticator(page);
  await signIn(page, username);
  await expect(page).toHaveURL(/\/account$/);
  await addPasskey(page, mail, username, "Phone");
  await signOut(page);

  // Capture a real verify body and the challenge cookie it was sent with.
  let captured: { step: string; use: string; response: { response: { clientDataJSON: string } } } | null = null;
  let challengeCookie = "";
  await page.route("**/webauthn", async (route) => {
    const body = route.request().postDataJSON() as typeof captured;
    if (body?.step === "verify") {
      captured = body;
      challengeCookie = (await ctx.cookies()).find((c) => c.name === "webauthn" || c.name === "__Host-webauthn")?.value ?? "";
    }
    await route.continue();
  });
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.unroute("**/webauthn");
  expect(captured).not.toBeNull();
  expect(challengeCookie).toMatch(/^[a-z2-7]{24}$/);
  const body = captured!;
  expect(b64urlJson(body.response.response.clientDataJSON).origin).toBe(app.origin);

  const isRefused = async (res: { status(): number; json(): Promise<unknown>; headersArray(): { name: string; value: string }[] }) => {
    expect(res.status()).toBe(400);
    expect(((await res.json()) as { ok: boolean }).ok).toBe(false);
    const cookies = res.headersArray().filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value);
    expect(cookies.filter((c) => /^(__Host-)?session=[^;]/.test(c)), "no session for a refused assertion").toEqual([]);
  };

  // 1. The same body with the same (now spent) challenge cookie.
  const sameCookie = await playwrightRequest.newContext({ baseURL: app.origin, extraHTTPHeaders: { cookie: `webauthn=${challengeCookie}`, "x-forwarded-for": "10.8.250.1" } });
  await isRefused(await sameCookie.post("/webauthn", { data: body }));
  // 2. No options call at all: no challenge cookie.
  const bare = await playwrightRequest.newContext({ baseURL: app.origin, extraHTTPHeaders: { "x-forwarded-for": "10.8.250.2" } });
  await isRefused(await bare.post("/webauthn", { data: body }));
  // 3. A fresh options call, then the old assertion: its challenge is not the new one.
  const fresh = await bare.post("/webauthn", { data: { step: "options", use: "sign-in" } });
  expect(fresh.status()).toBe(200);
  await isRefused(await bare.post("/webauthn", { data: body }));
  await Promise.all([sameCookie.dispose(), bare.dispose()]);

  // 4. A genuine new assertion over a challenge the browser made up (no options call): refused,
  //    without and with a server challenge cookie.
  await signOut(page);
  const forged = await page.evaluate(async () => {
    const b64url = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const cred = (await navigator.credentials.get({
      publicKey: { challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: location.hostname, userVerification: "required", allowCredentials: [] },
    })) as PublicKeyCredential;
    const r = cred.response as AuthenticatorAssertionResponse;
    return {
      id: cred.id,
      rawId: b64url(cred.rawId),
      type: cred.type,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(r.clientDataJSON),
        authenticatorData: b64url(r.authenticatorData),
        signature: b64url(r.signature),
        userHandle: r.userHandle ? b64url(r.userHandle) : undefined,
      },
    };
  });
  await isRefused(await page.request.post("/webauthn", { data: { step: "verify", use: "sign-in", response: forged } }));
  expect((await page.request.post("/webauthn", { data: { step: "options", use: "sign-in" } })).status()).toBe(200);
  await isRefused(await page.request.post("/webauthn", { data: { step: "verify", use: "sign-in", response: forged } }));

  // 5. The browser's real ceremony with clientDataJSON.origin altered on the way: refused.
  await page.route("**/webauthn", async (route) => {
    const b = route.request().postDataJSON() as typeof captured;
    if (b?.step !== "verify") return route.continue();
    const client = b64urlJson(b.response.response.clientDataJSON);
    b.response.response.clientDataJSON = Buffer.from(JSON.stringify({ ...client, origin: "https://evil.example" })).toString("base64url");
    await route.continue({ postData: JSON.stringify(b) });
  });
  await page.goto("/login");
  const refused = page.waitForResponse((r) => r.url().endsWith("/webauthn") && (r.request().postData() ?? "").includes('"verify"'));
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  expect((await refused).status()).toBe(400);
  await expect(page.getByRole("alert")).toContainText("That passkey didn't work");
  await expect(page).toHaveURL(/\/login$/);
  expect((await ctx.cookies()).some((c) => /session/.test(c.name))).toBe(false);
  await page.unroute("**/webauthn");
  // The same authenticator, untouched, still works: the refusals were the server's checks.
  await page.reload();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await ctx.close();
});

test("MFA-01 MFA-07 a passkey as the second factor during a reset and at /login/verify; once removed, its assertion is refused", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const username = users.remove;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  await addAuthenticator(page);
  await signIn(page, username);
  await expect(page).toHaveURL(/\/account$/);
  await addPasskey(page, mail, username, "Old tablet");
  await signOut(page);

  // The email link alone is not enough: the reset asks for the passkey.
  await resetByEmail(page, mail, username);
  await expect(page).toHaveURL(/\/reset\/second-factor$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("One more step");
  await expect(page.getByRole("link", { name: "Ask for help with a lost phone or authenticator" })).toHaveAttribute("href", "/assisted-recovery?reason=lost-factor");
  await page.getByRole("button", { name: "Use my passkey" }).click();
  await expect(page).toHaveURL(/\/reset\/password$/);
  await choosePassword(page, NEW_PASSWORD);

  // Password, then the passkey at /login/verify.
  await signIn(page, username, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");
  await page.getByRole("button", { name: "Use my passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Remove it.
  const before = countMail(mail, email(username), SETTINGS_CHANGED);
  await page.goto("/account/security");
  await page.getByRole("button", { name: "Remove Old tablet" }).click();
  await expect(page.getByText("The passkey was removed. It can't be used any more.")).toBeVisible();
  await expect(page.getByText("No passkeys yet.")).toBeVisible();
  expect((await nthMail(mail, email(username), SETTINGS_CHANGED, before)).text).toContain("A passkey was removed");

  // The authenticator still holds the credential, but the portal refuses it at once.
  await signOut(page);
  const verify = page.waitForResponse((r) => r.url().endsWith("/webauthn") && (r.request().postData() ?? "").includes('"verify"'));
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  expect((await verify).status()).toBe(400);
  await expect(page.getByRole("alert")).toContainText("That passkey didn't work");
  await expect(page).toHaveURL(/\/login$/);
  // …and the account is back to password-only sign-in.
  await signIn(page, username, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);
  await ctx.close();
});

// ---- authenticator app and recovery codes ---------------------------------------------------

test("MFA-04 MFA-03 MFA-01 authenticator app enrolment from the page, sign-in with a code, recovery codes and regeneration, reset second step; axe on every factor page", async ({
  browser,
  portal,
}) => {
  const { app, mail } = portal;
  const username = users.totp;
  const ctx = await newContext(browser, app);
  const page = await ctx.newPage();
  await signIn(page, username);
  await expect(page).toHaveURL(/\/account$/);

  await page.goto("/account/security");
  await page.getByRole("link", { name: "Set up an authenticator app" }).click();
  await expect(page).toHaveURL(/\/account\/totp$/);
  await expectNoAxeViolations(page, "/account/totp");
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32,}$/);
  await page.getByLabel("Code", { exact: true }).fill("000000" === (await freshTotp(app, secret)) ? "111111" : "000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByText("That code isn't right.")).toBeVisible();
  await page.getByLabel("Code", { exact: true }).fill(await freshTotp(app, secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.getByText("An authenticator app is set up.")).toBeVisible();

  await page.getByRole("button", { name: "Create recovery codes" }).click();
  const list = page.getByTestId("recovery-codes");
  await expect(list.getByRole("listitem")).toHaveCount(10);
  const codes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
  for (const c of codes) expect(c).toMatch(/^[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}$/);
  await expectNoAxeViolations(page, "/account/security with codes shown");

  // Sign in: password, then a code.
  await signOut(page);
  await signIn(page, username);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expectNoAxeViolations(page, "/login/verify");
  await page.getByLabel("Code", { exact: true }).fill(await freshTotp(app, secret));
  await page.getByRole("main").getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Sign in with a recovery code instead.
  await signOut(page);
  await signIn(page, username);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await page.getByText("Use a recovery code instead").click();
  await page.getByLabel("Recovery code").fill(codes[0]);
  await page.getByRole("button", { name: "Use recovery code" }).click();
  await expect(page).toHaveURL(/\/account\/security\?codes-left=9$/);
  await expect(page.getByText("You have 9 left")).toBeVisible();

  // Regenerate: the old ones stop working.
  await page.getByRole("button", { name: "Create new recovery codes" }).click();
  await expect(list.getByRole("listitem")).toHaveCount(10);
  const fresh = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
  expect(fresh.filter((c) => codes.includes(c))).toEqual([]);
  await signOut(page);
  await signIn(page, username);
  await page.getByText("Use a recovery code instead").click();
  await page.getByLabel("Recovery code").fill(codes[1]);
  await page.getByRole("button", { name: "Use recovery code" }).click();
  await expect(page.getByText("That recovery code isn't right or was already used.")).toBeVisible();
  await expect(page).toHaveURL(/\/login\/verify$/);
  if (!(await page.getByLabel("Recovery code").isVisible())) await page.getByText("Use a recovery code instead").click();
  await page.getByLabel("Recovery code").fill(fresh[0]);
  await page.getByRole("button", { name: "Use recovery code" }).click();
  await expect(page).toHaveURL(/\/account\/security\?codes-left=9$/);

  // A reset asks for the authenticator after the email step.
  await signOut(page);
  await resetByEmail(page, mail, username);
  await expect(page).toHaveURL(/\/reset\/second-factor$/);
  await expectNoAxeViolations(page, "/reset/second-factor");
  await page.getByLabel("Code", { exact: true }).fill(await freshTotp(app, secret));
  await page.getByRole("main").getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/reset\/password$/);
  await choosePassword(page, NEW_PASSWORD);
  await ctx.close();
});
