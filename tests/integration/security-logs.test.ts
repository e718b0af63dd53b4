import { freshTotp as nextTotp } from "../helpers/totp";
import { describe, expect, test } from "vitest";
import { RELAXED_LIMITS, outboxSettled } from "../helpers/app";
import { pathOf, sleep } from "../helpers/customer";
import { codeIn, linkIn } from "../helpers/smtp-sink";
import { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";

/**
 * Secrets never reach the log (review finding M7; SECURITY.md LOG-02, OTP-02). One portal with a
 * real SMTP sink and the default SMS provider (console: texts land in the dev_mailbox table) runs
 * every flow that mints a secret: resets by e-mail code, e-mail link and SMS code, an unlock, the
 * "password was changed" notices by e-mail and SMS, a "This wasn't me" report, a staff member's
 * authenticator set-up and an approval by SMS, and an account's authenticator and recovery codes.
 * Every token, link, code, recovery code, authenticator key and cookie those flows produced, every
 * password typed and the phone number in all the forms it was typed, are then looked for in the
 * portal's whole log (stdout and stderr). Links and codes are read from the messages and pages, as
 * a customer would read them.
 */

const USER = "logsphone";
const USER_EMAIL = "logsphone@example.test";
const PHONE = "+12025550161";
const PHONE_FORMS = [PHONE, "2025550161", "(202) 555-0161", "202-555-0161", "202 555 0161", "+1 202 555 0161"];
const FACTOR_USER = "logsfactor";
const FACTOR_EMAIL = "logsfactor@example.test";
const STAFF_EMAIL = "logs-agent@staff.test";

/** Everything secret the run produced or typed, by kind. */
const secrets = {
  password: new Set<string>(),
  token: new Set<string>(),
  link: new Set<string>(),
  code: new Set<string>(),
  recoveryCode: new Set<string>(),
  totpKey: new Set<string>(),
  cookie: new Set<string>(),
};
const typed = (password: string) => (secrets.password.add(password), password);

const PASSWORD0 = typed("initial walnut harbour gravel");
const FACTOR_PASSWORD0 = typed("factor chestnut quarry violet");
const STAFF_PASSWORD = typed("staff logs words here ok");

const clients: Client[] = [];
function client(): Client {
  const c = people.client();
  clients.push(c);
  return c;
}

// NODE_ENV=test and no SMS_PROVIDER: the default console adapter.
const { app, mail, probe, customer: people } = usePortal({
  clients: { ip: "10.88" },
  env: { ...RELAXED_LIMITS, LOCKOUT_TEMPORARY_AFTER: "3", LOCKOUT_DELAY_AFTER: "5", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24", RESET_SESSION_MINUTES: "60" },
  accounts: [
    { username: USER, email: USER_EMAIL, phone: "(202) 555-0161", password: PASSWORD0 },
    { username: FACTOR_USER, email: FACTOR_EMAIL, password: FACTOR_PASSWORD0 },
  ],
  setup: async () => {
    expect(app.env.SMS_PROVIDER).toBeUndefined();
    const staff = await app.cli(["staff", "add", "--email", STAFF_EMAIL, "--name", "Logs Agent", "--password-stdin"], STAFF_PASSWORD);
    expect(staff.code, staff.stderr).toBe(0);
  },
});
const { nthMail, countMail } = people;

// ---- helpers --------------------------------------------------------------------------------

const allSms = probe.devMailboxSms;
type Sms = ReturnType<typeof allSms>[number];

/** Waits for a text message to PHONE after `afterId` whose body matches. */
async function nextSms(afterId: number, body: RegExp, timeoutMs = 10_000): Promise<Sms> {
  const start = Date.now();
  for (;;) {
    const found = allSms().find((s) => s.id > afterId && s.recipients === PHONE && body.test(s.text_body));
    if (found) return found;
    if (Date.now() - start > timeoutMs) throw new Error(`no SMS matching ${body} after ${afterId}: ${JSON.stringify(allSms())}`);
    await sleep(25);
  }
}
const lastSmsId = () => allSms().at(-1)?.id ?? 0;

/** A code for the portal's next 30-second step (never a replay of an earlier one), remembered as a secret. */
async function freshTotp(secret: string): Promise<string> {
  const code = await nextTotp(app, secret);
  secrets.code.add(code);
  return code;
}

const decode = (s: string) => s.replace(/<!-- -->/g, "").replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, "&");

async function setPassword(c: Client, password: string): Promise<Response> {
  typed(password);
  return c.post("/reset/password", { password, confirm: password });
}

/** Every link with a token, every token and every 6-digit number in a message's text. */
function harvest(text: string): void {
  for (const m of text.matchAll(/https?:\/\/[^\s"'<>)\]]+?\/(?:reset|unlock|report|assisted-recovery\/confirm)\/([A-Za-z0-9_-]{16,})/g)) {
    secrets.link.add(m[0]);
    secrets.token.add(m[1]);
  }
  for (const m of text.matchAll(/(?<![\d])(\d{6})(?![\d])/g)) secrets.code.add(m[1]);
}

// ---- the run --------------------------------------------------------------------------------

describe("LOG-01 sign-out", () => {
  test("LOG-01 a customer's sign-out is a security event in the log with account, IP and user agent", async () => {
    const c = client();
    const signedIn = await c.post("/login", { identifier: FACTOR_USER, password: FACTOR_PASSWORD0 }, { "user-agent": "logs-test-browser/1.0" });
    expect(signedIn.headers.get("location")).toBe("/account");
    const out = await c.post("/logout", {}, { "user-agent": "logs-test-browser/1.0" });
    expect(out.status).toBe(302);
    const id = probe.userId(FACTOR_USER);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++, await sleep(20)) {
      line = app
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === "security event" && l.event === "sign_out");
    }
    expect(line).toMatchObject({ outcome: "success", userId: id, ip: c.defaults["x-forwarded-for"], userAgent: "logs-test-browser/1.0" });
    expect(typeof line!.time).toBe("string");
  });
});

describe("M7 LOG-02 secrets never in logs", () => {
  test("M7 LOG-02 OTP-02 no token, link, code, password or full phone number appears in any log line of a full reset, unlock, report and approval run", async () => {
    const resetSubject = /^Reset your/;
    const changedSubject = /password was changed/;

    // 1. Reset by the e-mail code (typed in the browser that asked).
    {
      const c = client();
      const n = countMail(USER_EMAIL, resetSubject);
      expect((await c.post("/forgot-password", { identifier: USER })).status).toBe(303);
      const m = await nthMail(USER_EMAIL, resetSubject, n);
      const code = codeIn(m);
      const verified = await c.post("/forgot-password/code", { intent: "verify", code });
      expect(verified.status).toBe(303);
      expect(verified.headers.get("location")).toBe("/reset/password");
      const done = await setPassword(c, "first amber canyon lattice");
      expect(done.status).toBe(303);
      expect(done.headers.get("location")).toBe("/reset/done");
    }

    // 2. Reset by the e-mail link (another browser: Continue, then the new password).
    {
      const c = client();
      const n = countMail(USER_EMAIL, resetSubject);
      expect((await c.post("/forgot-password", { identifier: USER_EMAIL })).status).toBe(303);
      const link = linkIn(await nthMail(USER_EMAIL, resetSubject, n), "/reset/");
      const opened = await c.get(pathOf(link));
      expect(opened.status).toBe(200);
      await opened.arrayBuffer();
      const cont = await c.post(pathOf(link), {});
      expect(cont.status).toBe(303);
      expect(cont.headers.get("location")).toBe("/reset/password");
      const done = await setPassword(c, "second birch meadow falcon");
      expect(done.status).toBe(303);
    }

    // 3. Reset by an SMS code to the verified phone, typed as people type it.
    let changedSms: Sms;
    {
      const c = client();
      const before = lastSmsId();
      const res = await c.post("/forgot-password", { identifier: "(202) 555-0161" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/forgot-password/code");
      const text = await nextSms(before, /reset code is \d{6}/);
      const code = text.text_body.match(/reset code is (\d{6})/)![1];
      const verified = await c.post("/forgot-password/code", { intent: "verify", code });
      expect(verified.status).toBe(303);
      expect(verified.headers.get("location")).toBe("/reset/password");
      const afterCode = lastSmsId();
      const done = await setPassword(c, "third cedar harbour quill");
      expect(done.status).toBe(303);
      // The password-changed notice goes by SMS too, with its "This wasn't me" link.
      changedSms = await nextSms(afterCode, /password of logsphone was changed/);
      expect(changedSms.text_body).toMatch(/\/report\/[A-Za-z0-9_-]{16,}/);
      await nthMail(USER_EMAIL, changedSubject, 2);
    }

    // 4. Three wrong passwords lock the account; the unlock e-mail's link unlocks it.
    {
      for (const wrong of ["wrong guess number one", "wrong guess number two", "wrong guess number three"]) {
        const res = await client().post("/login", { identifier: USER, password: typed(wrong) });
        expect(res.status).toBe(400);
        await res.arrayBuffer();
      }
      const c = client();
      const unlockSubject = /^Unlock your/;
      const n = countMail(USER_EMAIL, unlockSubject);
      expect((await c.post("/unlock", { identifier: USER })).status).toBe(303);
      const m = await nthMail(USER_EMAIL, unlockSubject, n);
      const verified = await c.post(pathOf(linkIn(m, "/unlock/")), {});
      expect(verified.status).toBe(303);
      expect(verified.headers.get("location")).toBe("/unlock/verified");
      const keep = await c.post("/unlock/verified", { intent: "keep" });
      expect(keep.status).toBe(303);
      expect(keep.headers.get("location")).toBe("/unlock/done");
      await nthMail(USER_EMAIL, /account was unlocked/, 0);
    }

    // 5. "This wasn't me" from the password-changed e-mail: Secure my account.
    let reference: string;
    {
      const notice = await nthMail(USER_EMAIL, changedSubject, 2);
      const reportPath = pathOf(linkIn(notice, "/report/"));
      const page = await client().get(reportPath);
      expect(page.status).toBe(200);
      expect(decode(await page.text())).toContain("Secure my account");
      const post = await client().post(reportPath, {});
      expect(post.status).toBe(200);
      const html = decode(await post.text());
      expect(html).toContain("We've secured your account");
      reference = html.match(/Your reference is\s*<strong>([^<]+)<\/strong>/)![1];
    }

    // 6. Staff: password, authenticator set-up, the report's ticket, Approve by SMS.
    {
      const s = client();
      const login = await s.post("/support/login", { email: STAFF_EMAIL, password: STAFF_PASSWORD });
      expect(login.status).toBe(303);
      expect(login.headers.get("location")).toBe("/support/setup");
      const setup = await s.get("/support/setup");
      const key = (await setup.text()).match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
      expect(key, "TOTP key on the staff set-up page").toBeTruthy();
      secrets.totpKey.add(key!);
      const enrolled = await s.post("/support/setup", { code: await freshTotp(key!) });
      expect(enrolled.status).toBe(303);
      expect(enrolled.headers.get("location")).toBe("/support");

      const list = decode(await (await s.get("/support")).text());
      const ticketPath = list.match(new RegExp(`href="(/support/tickets/[^"]+)"[^>]*>${reference}<`))?.[1];
      expect(ticketPath, `ticket ${reference} on the staff list`).toBeTruthy();
      const ticket = await s.get(ticketPath!);
      expect(ticket.status).toBe(200);
      await ticket.arrayBuffer();
      const before = lastSmsId();
      const approve = await s.post(ticketPath!, { action: "approve", channel: "sms", note: "Identity checked on a video call." });
      expect(approve.status).toBe(200);
      expect(decode(await approve.text())).toContain("A one-time recovery link was sent to the account's verified phone");
      const text = await nextSms(before, /\/reset\/[A-Za-z0-9_-]{16,}/);

      // The customer follows the texted link.
      const link = text.text_body.match(/https?:\/\/\S+\/reset\/[A-Za-z0-9_-]+/)![0];
      const c = client();
      const cont = await c.post(pathOf(link), {});
      expect(cont.status).toBe(303);
      expect(cont.headers.get("location")).toBe("/reset/password");
      const done = await setPassword(c, "fourth aspen lantern ridge");
      expect(done.status).toBeLessThan(500);
      const out = await s.post("/support/logout", {});
      expect(out.status).toBe(302);
    }

    // 7. An account with an authenticator app and recovery codes resets with a recovery code.
    {
      const c = client();
      const signedIn = await c.post("/login", { identifier: FACTOR_USER, password: FACTOR_PASSWORD0 });
      expect(signedIn.headers.get("location")).toBe("/account");
      const page = await c.get("/account/totp");
      expect(page.status).toBe(200);
      const key = (await page.text()).match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
      expect(key, "TOTP key on the set-up page").toBeTruthy();
      secrets.totpKey.add(key!);
      const enrolled = await c.post("/account/totp", { code: await freshTotp(key!) });
      expect(enrolled.status).toBe(303);
      const regen = await c.post("/account/security", { intent: "regenerate" });
      expect(regen.status).toBe(200);
      const list = (await regen.text()).match(/<ul[^>]*data-testid="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/)?.[1];
      const codes = [...(list ?? "").matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]);
      expect(codes).toHaveLength(10);
      for (const code of codes) secrets.recoveryCode.add(code);

      const r = client();
      const n = countMail(FACTOR_EMAIL, resetSubject);
      expect((await r.post("/forgot-password", { identifier: FACTOR_USER })).status).toBe(303);
      const link = linkIn(await nthMail(FACTOR_EMAIL, resetSubject, n), "/reset/");
      expect((await r.post(pathOf(link), {})).status).toBe(303);
      expect((await r.get("/reset/password")).headers.get("location")).toBe("/reset/second-factor");
      const second = await r.post("/reset/second-factor", { intent: "recovery", value: codes[3] });
      expect(second.status).toBe(303);
      expect(second.headers.get("location")).toBe("/reset/password");
      expect((await setPassword(r, "fifth willow orchard prism")).status).toBe(303);
    }

    // Everything sent has been sent (and logged) before the log is read.
    await outboxSettled(app);
    await sleep(300);

    // ---- collect ----
    for (const m of mail.messages) harvest(`${m.text}\n${m.html}`);
    for (const s of allSms()) harvest(s.text_body);
    for (const c of clients) for (const v of c.cookies.values()) if (v.length >= 16) secrets.cookie.add(v);
    // Sanity: the run really produced what it claims to look for.
    expect(secrets.link.size).toBeGreaterThanOrEqual(8);
    expect([...secrets.link].filter((l) => l.includes("/report/")).length).toBeGreaterThanOrEqual(3);
    expect([...secrets.link].filter((l) => l.includes("/unlock/")).length).toBeGreaterThanOrEqual(1);
    expect(secrets.code.size).toBeGreaterThanOrEqual(6);
    expect(secrets.recoveryCode.size).toBe(10);
    expect(secrets.totpKey.size).toBe(2);
    expect(secrets.password.size).toBeGreaterThanOrEqual(11);
    expect(allSms().filter((s) => s.recipients === PHONE).length).toBeGreaterThanOrEqual(4);

    // ---- look for them ----
    const log = app.logs();
    const lines = log.split("\n");
    // The log did record the run: requests (token paths redacted) and the console SMS, masked.
    expect(log).toContain('"path":"/reset/[redacted]"');
    expect(log).toContain('"path":"/report/[redacted]"');

    const leaks: string[] = [];
    const lineWith = (needle: string | RegExp) => lines.find((l) => (typeof needle === "string" ? l.includes(needle) : needle.test(l)));
    const look = (kind: string, value: string, needle: string | RegExp = value) => {
      const line = lineWith(needle);
      if (line) leaks.push(`${kind} ${JSON.stringify(value)} in: ${line.slice(0, 300)}`);
    };
    const exact = (v: string) => new RegExp(`(?<![A-Za-z0-9])${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9])`);
    for (const p of secrets.password) {
      look("password", p);
      look("password (form-encoded)", p, new URLSearchParams({ p }).toString().slice(2));
    }
    for (const t of secrets.token) look("token", t);
    for (const l of secrets.link) look("link", l);
    for (const c of secrets.code) look("code", c, exact(c));
    for (const r of secrets.recoveryCode) {
      look("recovery code", r);
      look("recovery code (no dashes)", r, r.replace(/-/g, ""));
    }
    for (const k of secrets.totpKey) look("authenticator key", k);
    for (const c of secrets.cookie) look("cookie", c);
    for (const p of PHONE_FORMS) look("phone number", p, p.startsWith("+") ? p : exact(p));
    expect(leaks).toEqual([]);
    // The console SMS lines say a text went out, to the masked number, without its text.
    const smsLines = lines.filter((l) => l.includes('"msg":"console SMS"'));
    expect(smsLines.length).toBeGreaterThanOrEqual(4);
    for (const l of smsLines) expect(JSON.parse(l)).toMatchObject({ to: "+1202555**61", template: expect.any(String) });
    for (const l of smsLines) expect(JSON.parse(l)).not.toHaveProperty("body");
  }, 180_000);
});
