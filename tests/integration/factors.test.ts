import crypto from "node:crypto";
import { describe, expect, test } from "vitest";
import { pathOf } from "../helpers/customer";
import { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { linkIn, type CaughtMail } from "../helpers/smtp-sink";
import { staffDriver } from "../helpers/staff";
import { freshTotp, totpAt } from "../helpers/totp";

/**
 * Stronger factors (SECURITY.md section F, MFA-01..MFA-08, and SES-03; DESIGN.md "Second factor
 * during reset"): the authenticator app, saved recovery codes and the second step at sign-in and
 * during a reset, over HTTP with otplib computing codes at the portal's own (movable) time.
 * Passkeys need a browser: tests/e2e/passkeys.spec.ts.
 *
 * The portal trusts X-Forwarded-For from loopback and every client gets its own address, so per-IP
 * limits only trip where a test means them to. Sessions idle for a day so that moving the portal
 * clock (TOTP steps) never signs anyone out by accident; "recent sign-in" (10 minutes) still applies.
 * Every account that burns its daily code-failure budget is used by that test alone.
 */

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";
const STAFF_PASSWORD = "staff pass words here ok";
/** Nine characters, zxcvbn score 3, not common: long enough only with a second factor (min 8 vs 15). */
const SHORT_STRONG = "Vq8#zR2!m";
const STAFF_EMAIL = "factors-agent@staff.test";

const email = (u: string) => `${u}@example.test`;
const U = {
  mfa01: "fmfa01",
  mfa02: "fmfa02",
  plain: "fplain",
  plain08: "fplain08",
  shortMfa: "fshortmfa",
  codes: "fcodes",
  codesBudget: "fcodesbudget",
  totp: "ftotp",
  totpBudget: "ftotpbudget",
  stepUp: "fstepup",
  removal: "fremoval",
  ses: "fses",
  verify: "fverify",
  support: "fsupport",
};

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });

// One CLI run imports everyone (a CLI run per user costs seconds on a busy machine); each then
// gets a password through an ordinary email reset, which is what the portal offers anyway.
const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.61" },
  env: {
    TRUST_PROXY: "loopback",
    // Staff act at once here; four eyes (a supervisor approves) is tests/integration/approvals.test.ts.
    FOUR_EYES: "none",
    SESSION_IDLE_MINUTES: "1440",
    SESSION_ABSOLUTE_HOURS: "24",
    RESET_SESSION_MINUTES: "60",
    LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "100",
    LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "100",
    LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "100",
  },
  accounts: Object.values(U).map((username) => ({ username })),
  setup: async () => void (await Promise.all([staff.add(STAFF_EMAIL), customer.givePasswords(Object.values(U), PASSWORD)])),
});
const { client, nthMail, countMail } = customer;

// ---- helpers --------------------------------------------------------------------------------

const totpRow = (username: string) => probe.totpRow(probe.userId(username));
const codeRows = (username: string) => probe.recoveryCodesOf(probe.userId(username));
const SETTINGS_CHANGED = /security settings changed/;

/** Waits for the next "security settings changed" email to `username` after `before` of them, and checks its report link. */
async function factorNotice(username: string, before: number, change: RegExp): Promise<CaughtMail> {
  const m = await nthMail(email(username), SETTINGS_CHANGED, before);
  expect(m.subject).toMatch(/^Your .+ security settings changed$/);
  expect(m.text.replace(/\s+/g, " ")).toMatch(change);
  expect(m.text).toContain("This wasn't me");
  expect(m.text).toMatch(/https?:\/\/[^\s]+\/report\/[A-Za-z0-9_-]+/);
  return m;
}

function setCookieNames(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.slice(0, c.indexOf("=")));
}
const sessionOf = (c: Client) => c.cookies.get("session") ?? c.cookies.get("__Host-session");

/** Signs in with the password (this file's, unless given); returns the client and where the portal sent it. */
const signIn = (username: string, password = PASSWORD, c = client()) => customer.signIn(username, password, c);

/** A signed-in client of an account without a second factor. */
const signedIn = (username: string) => customer.signedIn(username, PASSWORD);

/** Sets up the authenticator app (checking the stored row and the notice email); returns the key read from the page. */
async function enrolTotp(c: Client, username: string): Promise<string> {
  const before = countMail(email(username), SETTINGS_CHANGED);
  const secret = await customer.enrolTotp(c);
  expect(totpRow(username)?.confirmed_at).toBeTruthy();
  await factorNotice(username, before, /authenticator app was added/);
  return secret;
}

/** Keys read from the set-up page, per account, for tests that sign in later. */
const totpSecrets = new Map<string, string>();

const RECOVERY_CODE_RE = /^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/;

/** "Create recovery codes" on /account/security; returns the codes shown on the page (after their notice email). */
async function regenerate(c: Client, username: string): Promise<string[]> {
  const before = countMail(email(username), SETTINGS_CHANGED);
  const { status, codes } = await customer.createRecoveryCodes(c);
  expect(status).toBe(200);
  expect(codes, "the codes are shown in a list").toBeTruthy();
  await factorNotice(username, before, /New recovery codes were created/);
  return codes!;
}

const signInWithTotp = (username: string, secret: string) => customer.signInWithTotp(username, PASSWORD, secret);
const resetByLink = (username: string) => customer.resetByLink(username, email(username));
const setPassword = customer.setPassword;

const decode = (s: string) =>
  s.replace(/<!-- -->/g, "").replace(/&#x27;/g, "'").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, "&");

// ---- MFA-01 ---------------------------------------------------------------------------------

describe("MFA-01 a reset does not bypass the authenticator app", () => {
  test("after the email link the reset asks for the second factor; a password POST without it gets 403; with a valid TOTP it succeeds", async () => {
    const signedIn1 = await signedIn(U.mfa01);
    const secret = await enrolTotp(signedIn1, U.mfa01);
    const hashBefore = probe.userRow(U.mfa01)!.password_hash;

    const c = await resetByLink(U.mfa01);
    const page = await c.get("/reset/password");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/reset/second-factor");
    const factorPage = await c.get("/reset/second-factor");
    expect(factorPage.status).toBe(200);
    const html = decode(await factorPage.text());
    expect(html).toContain("One more step");
    expect(html).toMatch(/name="intent" value="totp"/);
    expect(html).toMatch(/name="intent" value="recovery"/);

    const refused = await setPassword(c, NEW_PASSWORD);
    expect(refused.status).toBe(403);
    expect(probe.userRow(U.mfa01)!.password_hash).toBe(hashBefore);
    // A wrong code does not pass either.
    const wrong = await c.post("/reset/second-factor", { intent: "totp", value: "000000" === (await totpAt(app, secret)) ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    expect((await setPassword(c, NEW_PASSWORD)).status).toBe(403);

    const ok = await c.post("/reset/second-factor", { intent: "totp", value: await freshTotp(app, secret) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/reset/password");
    expect((await c.get("/reset/password")).status).toBe(200);
    const done = await setPassword(c, NEW_PASSWORD);
    expect(done.status).toBe(303);
    expect(done.location).toBe("/reset/done");
    expect(probe.userRow(U.mfa01)!.password_hash).not.toBe(hashBefore);
    // The new password works, and the account still asks for its second step.
    expect((await signIn(U.mfa01, NEW_PASSWORD)).location).toBe("/login/verify");
  });
});

// ---- MFA-02 ---------------------------------------------------------------------------------

describe("MFA-02 losing the factor never falls back to email alone", () => {
  test("the second-factor page links to /assisted-recovery?reason=lost-factor, and no email-only path changes the user_totp row", async () => {
    const secret = await enrolTotp(await signedIn(U.mfa02), U.mfa02);
    const before = totpRow(U.mfa02);
    expect(before?.confirmed_at).toBeTruthy();

    // The link path.
    const c = await resetByLink(U.mfa02);
    const page = decode(await (await c.get("/reset/second-factor")).text());
    expect(page).toContain('href="/assisted-recovery?reason=lost-factor"');
    expect(page).toContain("Email alone can't remove these protections");
    // Everything an email-verified browser might try: it holds no session, so the factor pages send it to sign in.
    for (const p of ["/account/security", "/account/totp", "/account"]) {
      const res = await c.get(p);
      expect(res.status, p).toBe(302);
      expect(res.headers.get("location"), p).toBe("/login");
    }
    const disable = await c.post("/account/security", { intent: "disable-totp", code: "" });
    expect(disable.status).toBe(302);
    expect(disable.headers.get("location")).toBe("/login");
    expect((await c.post("/account/totp", { code: "123456" })).headers.get("location")).toBe("/login");
    for (const intent of ["", "email", "skip", "remove"]) {
      expect((await c.post("/reset/second-factor", { intent, value: "" })).status, `intent=${intent}`).toBe(400);
    }
    expect((await setPassword(c, NEW_PASSWORD)).status).toBe(403);
    // The passkey endpoint does not accept the email-verified browser as proof either.
    const webauthn = await fetch(app.origin + "/webauthn", {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.origin, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      body: JSON.stringify({ step: "verify", use: "reset-factor", response: { id: "x" } }),
    });
    expect(webauthn.status).toBe(400);

    // The code path (the 6-digit code from the same kind of email).
    const d = client();
    const n = countMail(email(U.mfa02), /^Reset your/);
    expect((await d.post("/forgot-password", { identifier: U.mfa02 })).status).toBe(303);
    const m = await nthMail(email(U.mfa02), /^Reset your/, n);
    const code = m.text.split("\n").find((l) => /code/i.test(l) && /\b\d{6}\b/.test(l))?.match(/\b(\d{6})\b/)?.[1];
    expect(code).toBeTruthy();
    const entered = await d.post("/forgot-password/code", { code: code! });
    expect(entered.status).toBe(303);
    expect((await d.get("/reset/password")).headers.get("location")).toBe("/reset/second-factor");
    expect((await setPassword(d, NEW_PASSWORD)).status).toBe(403);

    expect(totpRow(U.mfa02)).toEqual(before);
    // The authenticator still guards sign-in.
    expect((await signIn(U.mfa02)).location).toBe("/login/verify");
    expect(secret).toMatch(/^[A-Z2-7]+$/);
  });
});

// ---- MFA-03 ---------------------------------------------------------------------------------

describe("MFA-03 recovery codes", () => {
  let codes: string[];
  let secret: string;

  test("10 codes of ≥80 bits (20 symbols from a 31-symbol alphabet); only HMACs are stored; a notification on regenerate", async () => {
    const c = await signedIn(U.codes);
    secret = await enrolTotp(c, U.codes);
    codes = await regenerate(c, U.codes); // also checks the "new recovery codes" notice
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(RECOVERY_CODE_RE);
    const alphabet = new Set("abcdefghjkmnpqrstuvwxyz23456789");
    expect(alphabet.size).toBe(31);
    const symbols = codes[0].replace(/-/g, "");
    expect(symbols.length * Math.log2(alphabet.size)).toBeGreaterThanOrEqual(80);
    // Every symbol of the alphabet turns up somewhere across 200 symbols (a fixed pattern would not).
    expect(new Set(codes.join("").replace(/-/g, "")).size).toBeGreaterThan(20);

    const rows = codeRows(U.codes);
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(probe.recoveryCodesOf(probe.userRow(U.codes)!.id));
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace(/-/g, ""));
      const plainSha = crypto.createHash("sha256").update(code.replace(/-/g, "")).digest("hex");
      expect(stored).not.toContain(plainSha);
    }
    for (const r of rows) expect(r.code_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("a code works once at /login/verify (redirect says codes-left), reuse is refused, and using one sends a notification", async () => {
    const { c, location } = await signIn(U.codes);
    expect(location).toBe("/login/verify");
    const before = countMail(email(U.codes), SETTINGS_CHANGED);
    // Typed as people do: upper case, without dashes.
    const used = await c.post("/login/verify", { intent: "recovery", value: codes[0].toUpperCase().replace(/-/g, " ") });
    expect(used.status).toBe(303);
    expect(used.headers.get("location")).toBe("/account/security?codes-left=9");
    expect((await c.get("/account")).status).toBe(200);
    const page = decode(await (await c.get("/account/security?codes-left=9")).text());
    expect(page).toContain("You have 9 left");
    await factorNotice(U.codes, before, /A recovery code was used \(9 left\)/);
    expect(codeRows(U.codes).filter((r) => r.used_at !== null)).toHaveLength(1);

    const again = await signIn(U.codes);
    const reuse = await again.c.post("/login/verify", { intent: "recovery", value: codes[0] });
    expect(reuse.status).toBe(400);
    expect(decode(await reuse.text())).toContain("That recovery code isn't right or was already used.");
    expect(sessionOf(again.c)).toBeUndefined();
  });

  test("regenerating kills the old codes; the new ones work", async () => {
    const c = await signInWithTotp(U.codes, secret);
    const fresh = await regenerate(c, U.codes);
    expect(fresh.filter((x) => codes.includes(x))).toEqual([]);
    expect(codeRows(U.codes)).toHaveLength(10);
    expect(codeRows(U.codes).every((r) => r.used_at === null)).toBe(true);

    const old = await signIn(U.codes);
    expect((await old.c.post("/login/verify", { intent: "recovery", value: codes[1] })).status).toBe(400);
    const ok = await old.c.post("/login/verify", { intent: "recovery", value: fresh[0] });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account/security?codes-left=9");
  });

  test("wrong recovery-code guesses count toward their own daily budget: after 20, even a right code is refused, but the authenticator has its own (M2)", async () => {
    const c0 = await signedIn(U.codesBudget);
    const budgetSecret = await enrolTotp(c0, U.codesBudget);
    const good = await regenerate(c0, U.codesBudget);
    const { c } = await signIn(U.codesBudget);
    for (let i = 0; i < 20; i++) {
      const res = await c.post("/login/verify", { intent: "recovery", value: `wrong-guess-${i}-aaaaa-bbbbb` });
      expect(res.status, `guess ${i + 1}`).toBe(400);
    }
    const refused = await c.post("/login/verify", { intent: "recovery", value: good[0] });
    expect(refused.status).toBe(400);
    expect(sessionOf(c)).toBeUndefined();
    expect(codeRows(U.codesBudget).every((r) => r.used_at === null), "the right code was not spent").toBe(true);
    // The authenticator app keeps its own budget (M2): spent recovery-code guesses do not block it.
    expect((await c.post("/login/verify", { intent: "totp", value: await freshTotp(app, budgetSecret) })).status).toBe(303);
    expect(sessionOf(c)).toBeDefined();
  });
});

// ---- MFA-04 ---------------------------------------------------------------------------------

describe("MFA-04 authenticator codes", () => {
  test("the secret is stored encrypted and is ≥20 bytes (32 base32 characters)", async () => {
    const secret = await enrolTotp(await signedIn(U.totp), U.totp);
    totpSecrets.set(U.totp, secret);
    expect(secret).toMatch(/^[A-Z2-7]{32,}$/);
    expect(Math.floor((secret.length * 5) / 8)).toBeGreaterThanOrEqual(20);
    const row = totpRow(U.totp)!;
    expect(row.secret).not.toContain(secret);
    expect(row.secret.toUpperCase()).not.toContain(secret);
    expect(row.secret).not.toMatch(/^[A-Z2-7]+=*$/);
  });

  test("the same code is accepted once; a code from step T−1 passes, T−2 fails", async () => {
    const row = totpRow(U.totp);
    expect(row?.confirmed_at, "enrolled by the test above").toBeTruthy();
    const secret = totpSecrets.get(U.totp)!;
    await app.advanceClock(90_000);

    const first = await signIn(U.totp);
    expect(first.location).toBe("/login/verify");
    const tMinus2 = await totpAt(app, secret, -2);
    const tMinus1 = await totpAt(app, secret, -1);
    const now = await totpAt(app, secret);
    if (tMinus2 !== tMinus1 && tMinus2 !== now) {
      expect((await first.c.post("/login/verify", { intent: "totp", value: tMinus2 })).status, "T−2").toBe(400);
    }
    const ok = await first.c.post("/login/verify", { intent: "totp", value: tMinus1 });
    expect(ok.status, "T−1").toBe(303);
    expect(ok.headers.get("location")).toBe("/account");

    // The same code again, in another browser: refused.
    const second = await signIn(U.totp);
    const replay = await second.c.post("/login/verify", { intent: "totp", value: tMinus1 });
    expect(replay.status).toBe(400);
    expect(decode(await replay.text())).toContain("That code isn't right or was already used.");
    expect(sessionOf(second.c)).toBeUndefined();
    // The current step is still unused, so its code passes once, then not again.
    const cur = await second.c.post("/login/verify", { intent: "totp", value: now });
    expect(cur.status).toBe(303);
    const third = await signIn(U.totp);
    expect((await third.c.post("/login/verify", { intent: "totp", value: now })).status).toBe(400);
  });

  test("20 wrong codes are throttled: then even the right code is refused", async () => {
    const secret = await enrolTotp(await signedIn(U.totpBudget), U.totpBudget);
    const { c } = await signIn(U.totpBudget);
    await app.advanceClock(30_000);
    const valid = new Set([await totpAt(app, secret, -1), await totpAt(app, secret), await totpAt(app, secret, 1)]);
    let n = 0;
    for (let guess = 100000; n < 20; guess += 7919) {
      if (valid.has(String(guess))) continue;
      const res = await c.post("/login/verify", { intent: "totp", value: String(guess) });
      expect(res.status, `guess ${n + 1}`).toBe(400);
      n++;
    }
    const right = await c.post("/login/verify", { intent: "totp", value: await totpAt(app, secret) });
    expect(right.status).toBe(400);
    expect(sessionOf(c)).toBeUndefined();
    // Once the budget is spent, further codes are not even checked (nor counted).
    const failures = probe.auditEvents({ userId: probe.userRow(U.totpBudget)!.id, event: "totp_failed" });
    expect(failures).toHaveLength(20);
  });
});

// ---- MFA-06 ---------------------------------------------------------------------------------

describe("MFA-06 changing a factor needs a recent sign-in at the strongest level, and is announced", () => {
  test("a session older than 10 minutes is sent to /account/confirm; with TOTP on, confirming also needs a code; each change emails the existing address", async () => {
    const c = await signedIn(U.stepUp);
    await app.advanceClock(11 * 60_000);
    for (const p of ["/account/security", "/account/totp"]) {
      const res = await c.get(p);
      expect(res.status, p).toBe(302);
      expect(res.headers.get("location"), p).toBe(`/account/confirm?next=${encodeURIComponent(p)}`);
    }
    // Posting a change from the old session is refused the same way.
    const post = await c.post("/account/security", { intent: "regenerate" });
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toMatch(/^\/account\/confirm\?next=/);
    expect(codeRows(U.stepUp)).toHaveLength(0);

    // Without TOTP, the password alone confirms.
    const confirmPage = decode(await (await c.get("/account/confirm?next=/account/totp")).text());
    expect(confirmPage).not.toMatch(/name="code"/);
    const oldSession = sessionOf(c);
    const confirmed = await c.post("/account/confirm", { password: PASSWORD, next: "/account/totp" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe("/account/totp");
    expect(sessionOf(c)).not.toBe(oldSession);
    const secret = await enrolTotp(c, U.stepUp); // checks the "authenticator app was added" email

    // With TOTP on, an old session must give the password and a code.
    await app.advanceClock(11 * 60_000);
    expect((await c.get("/account/security")).headers.get("location")).toBe("/account/confirm?next=%2Faccount%2Fsecurity");
    const withCode = decode(await (await c.get("/account/confirm?next=/account/security")).text());
    expect(withCode).toMatch(/name="code"/);
    const noCode = await c.post("/account/confirm", { password: PASSWORD, next: "/account/security" });
    expect(noCode.status).toBe(400);
    const wrongCode = await c.post("/account/confirm", { password: PASSWORD, code: "12345", next: "/account/security" });
    expect(wrongCode.status).toBe(400);
    expect((await c.get("/account/security")).status, "still not confirmed").toBe(302);
    const ok = await c.post("/account/confirm", { password: PASSWORD, code: await freshTotp(app, secret), next: "/account/security" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account/security");
    expect((await c.get("/account/security")).status).toBe(200);

    // Each change is announced to the address already on the account.
    await regenerate(c, U.stepUp); // checks its notice
    const n = countMail(email(U.stepUp), SETTINGS_CHANGED);
    const off = await c.post("/account/security", { intent: "disable-totp", code: await freshTotp(app, secret) });
    expect(off.status).toBe(200);
    await factorNotice(U.stepUp, n, /authenticator app was removed/);
    for (const m of mail.to(email(U.stepUp)).filter((x) => SETTINGS_CHANGED.test(x.subject))) expect(m.to).toEqual([email(U.stepUp)]);
  });
});

// ---- MFA-07 ---------------------------------------------------------------------------------

describe("MFA-07 revoking the authenticator takes effect at once", () => {
  test("after removing TOTP with a current code, its codes are refused and the account no longer needs a second step", async () => {
    const c = await signedIn(U.removal);
    const secret = await enrolTotp(c, U.removal);
    // Another browser is half-way through signing in (password done, second step pending).
    const pending = await signIn(U.removal);
    expect(pending.location).toBe("/login/verify");

    const wrong = await c.post("/account/security", { intent: "disable-totp", code: "000000" === (await totpAt(app, secret)) ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    expect(totpRow(U.removal)).toBeTruthy();
    const removed = await c.post("/account/security", { intent: "disable-totp", code: await freshTotp(app, secret) });
    expect(removed.status).toBe(200);
    expect(decode(await removed.text())).toContain("The authenticator app was removed.");
    expect(totpRow(U.removal)).toBeUndefined();

    // A current code from the removed app no longer passes the pending second step.
    const late = await pending.c.post("/login/verify", { intent: "totp", value: await freshTotp(app, secret) });
    expect(late.status).toBe(400);
    expect(sessionOf(pending.c)).toBeUndefined();
    // Nor does it confirm a re-authentication.
    await app.advanceClock(11 * 60_000);
    const confirmPage = decode(await (await c.get("/account/confirm?next=/account/security")).text());
    expect(confirmPage).not.toMatch(/name="code"/);
    // Sign-in is password-only again.
    expect((await signIn(U.removal)).location).toBe("/account");
  });
});

// ---- MFA-08 ---------------------------------------------------------------------------------

describe("MFA-08 an email link is never a login factor", () => {
  test("following the link and completing the reset sets no session cookie, and /account redirects to /login", async () => {
    const c = client();
    const names: string[] = [];
    const n = countMail(email(U.plain08), /^Reset your/);
    const ask = await c.post("/forgot-password", { identifier: U.plain08 });
    names.push(...setCookieNames(ask));
    const m = await nthMail(email(U.plain08), /^Reset your/, n);
    const link = pathOf(linkIn(m, "/reset/"));
    const landing = await c.get(link);
    names.push(...setCookieNames(landing));
    const cont = await c.post(link, {});
    names.push(...setCookieNames(cont));
    expect((await c.get("/account")).headers.get("location")).toBe("/login");
    const page = await c.get("/reset/password");
    expect(page.status).toBe(200);
    names.push(...setCookieNames(page));
    const res = await c.post("/reset/password", { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/reset/done");
    names.push(...setCookieNames(res));
    names.push(...setCookieNames(await c.get("/reset/done")));

    expect(names.filter((x) => /session/i.test(x))).toEqual([]);
    expect(sessionOf(c)).toBeUndefined();
    const account = await c.get("/account");
    expect(account.status).toBe(302);
    expect(account.headers.get("location")).toBe("/login");
    // The customer signs in with the new password like anyone else.
    expect((await signIn(U.plain08, NEW_PASSWORD)).location).toBe("/account");
  });
});

// ---- SES-03 ---------------------------------------------------------------------------------

describe("SES-03 a new session id at the second step; the pending cookie grants nothing", () => {
  test("the session cookie differs before and after the second step, the old one is dead, and mfa_pending never opens /account", async () => {
    const c = await signedIn(U.ses);
    const secret = await enrolTotp(c, U.ses);
    const before = sessionOf(c)!;
    expect(before).toBeTruthy();

    // The same browser signs in again: password, then the second step.
    const res = await c.post("/login", { identifier: U.ses, password: PASSWORD });
    expect(res.headers.get("location")).toBe("/login/verify");
    const pendingName = setCookieNames(res).find((x) => /mfa_pending/.test(x));
    expect(pendingName).toBeTruthy();
    expect(setCookieNames(res).filter((x) => /session/.test(x))).toEqual([]);

    // Only the pending cookie: /account is refused, even if the value is passed off as a session.
    const onlyPending = client();
    onlyPending.cookies.set(pendingName!, c.cookies.get(pendingName!)!);
    expect((await onlyPending.get("/account")).headers.get("location")).toBe("/login");
    expect((await onlyPending.get("/account/security")).headers.get("location")).toBe("/login");
    const forged = client();
    forged.cookies.set("session", c.cookies.get(pendingName!)!);
    expect((await forged.get("/account")).headers.get("location")).toBe("/login");

    const done = await c.post("/login/verify", { intent: "totp", value: await freshTotp(app, secret) });
    expect(done.status).toBe(303);
    const after = sessionOf(c)!;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect(c.cookies.has(pendingName!), "the pending cookie is cleared").toBe(false);
    expect((await c.get("/account")).status).toBe(200);

    // Replaying the session from before the second step gives an anonymous browser.
    const replay = client();
    replay.cookies.set("session", before);
    expect((await replay.get("/account")).headers.get("location")).toBe("/login");
    // The pending cookie, replayed after use, still opens nothing.
    expect((await onlyPending.get("/account")).headers.get("location")).toBe("/login");
  });
});

// ---- new-password length with a second factor ---------------------------------------------

describe("PWD minimum relaxes to PASSWORD_MIN_LENGTH_WITH_MFA (8) only for an account with a second factor", () => {
  test("a 9-character strong password is accepted on the MFA account's reset but rejected on a plain account", async () => {
    const secret = await enrolTotp(await signedIn(U.shortMfa), U.shortMfa);
    const m = await resetByLink(U.shortMfa);
    expect((await m.post("/reset/second-factor", { intent: "totp", value: await freshTotp(app, secret) })).status).toBe(303);
    const rules = decode(await (await m.get("/reset/password")).text());
    expect(rules).toContain("At least 8 characters");
    const tooShort = await setPassword(m, "Vq8#zR2");
    expect(tooShort.status).toBe(400);
    expect(decode(tooShort.text)).toContain("Use at least 8 characters");
    const ok = await setPassword(m, SHORT_STRONG);
    expect(ok.status).toBe(303);
    expect(ok.location).toBe("/reset/done");
    expect((await signIn(U.shortMfa, SHORT_STRONG)).location).toBe("/login/verify");

    const p = await resetByLink(U.plain);
    const plainRules = decode(await (await p.get("/reset/password")).text());
    expect(plainRules).toContain("At least 15 characters");
    const rejected = await setPassword(p, SHORT_STRONG);
    expect(rejected.status).toBe(400);
    expect(decode(rejected.text)).toContain("Use at least 15 characters (you have 9)");
    expect((await signIn(U.plain, SHORT_STRONG)).status).toBe(400);
  });
});

// ---- sign-in second step ----------------------------------------------------------------------

describe("sign-in of an account with the authenticator app", () => {
  test("goes to /login/verify (no session yet); the page offers the code and a recovery code; a recovery code works there", async () => {
    const c0 = await signedIn(U.verify);
    const secret = await enrolTotp(c0, U.verify);
    const codes = await regenerate(c0, U.verify);
    const { c, location, status } = await signIn(U.verify);
    expect(status).toBe(303);
    expect(location).toBe("/login/verify");
    expect(sessionOf(c)).toBeUndefined();
    expect((await c.get("/account")).headers.get("location")).toBe("/login");
    const page = decode(await (await c.get("/login/verify")).text());
    expect(page).toContain("Use a recovery code instead");
    expect(page).toMatch(/name="intent" value="totp"/);
    const res = await c.post("/login/verify", { intent: "recovery", value: codes[3] });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/codes-left=9/);
    expect((await c.get("/account")).status).toBe(200);
    // Without the pending cookie the page is not reachable.
    expect((await client().get("/login/verify")).headers.get("location")).toBe("/login");
    expect(secret).toBeTruthy();
  });
});

// ---- support "remove_factors" ---------------------------------------------------------------

describe("AR staff action remove_factors", () => {
  test("staff (password + authenticator) remove the account's authenticator app and recovery codes; the customer signs in with the password alone", async () => {
    const cu = await signedIn(U.support);
    await enrolTotp(cu, U.support);
    await regenerate(cu, U.support);
    expect(codeRows(U.support)).toHaveLength(10);
    expect((await signIn(U.support)).location).toBe("/login/verify");

    // Staff sign in and set up their authenticator, reading the key from the page.
    const { c: s } = await staff.enrol(STAFF_EMAIL);

    // The customer's ticket, matched to the account.
    const ticketRes = await client().post("/assisted-recovery", {
      website: "",
      fullName: "Fay Support",
      accountHint: U.support,
      contactEmail: email(U.support),
      contactPhone: "",
      category: "lost_factor",
      details: "I lost my phone with the authenticator app.",
      lastSignInClaim: "yesterday",
      openedClaim: "2021",
      consent: "yes",
    });
    const ticketHtml = decode(await ticketRes.text());
    if (ticketRes.status !== 200) throw new Error(`ticket form answered ${ticketRes.status}: ${ticketHtml.slice(0, 2000)}`);
    const reference = ticketHtml.match(/AR-[A-Z0-9]{4}-[A-Z0-9]{4}/)?.[0];
    expect(reference).toBeTruthy();
    const ticket = probe.ticketRow(reference!)!;
    expect(ticket.matched_user_id).toBe(probe.userRow(U.support)!.id);

    const before = countMail(email(U.support), SETTINGS_CHANGED);
    const act = await staff.act(s, ticket.id, { action: "remove_factors", note: "Checked identity on a video call." });
    expect(act.status).toBe(200);
    expect(decode(act.text)).toContain("second factors were removed");
    expect(totpRow(U.support)).toBeUndefined();
    expect(codeRows(U.support)).toHaveLength(0);
    expect(probe.passkeysOf(probe.userRow(U.support)!.id)).toHaveLength(0);
    await factorNotice(U.support, before, /support team removed/);
    expect((await signIn(U.support)).location).toBe("/account");

    // A customer session cannot do it.
    const customerClient = await signedIn(U.support);
    const denied = await customerClient.post(`/support/tickets/${ticket.id}`, { action: "remove_factors", note: "customer tries" });
    expect(denied.status).not.toBe(200);
  });
});
