import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { freshTotp, portalNow, totpAt } from "../helpers/totp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { outboxSettled, startApp, type TestApp } from "../helpers/app";
import { codeIn, linkIn, startSmtpSink, type CaughtMail, type SmtpSink } from "../helpers/smtp-sink";
import { Client } from "../helpers/http";
import { smsCode, startSmsReceiver, type Sms, type SmsReceiver } from "../helpers/sms-receiver";

/**
 * Contact takeover and "This wasn't me" (security review 2026-11-27: M3, L3, L10, L15 and the
 * report part of H1; SECURITY.md AR-02, NTF-03, SES-02, TOK-05, TOK-09), over real HTTP:
 * - a report from the previous address after an email change undoes the change, locks the account
 *   and opens the ticket with the reporter's address as its contact (M3);
 * - report links are one per recipient, single use, and expire after 7 days (L10);
 * - changing an email, phone or factor ends every other session and kills recovery links (L3);
 * - a report removes the passkeys and authenticator app added in the 7 days before it (H1);
 * - ticket confirm links expire and invalid ones count against the link-guessing budget (L15).
 *
 * Tests run in order and move the portal clock forward by days; each signs in afresh.
 */

const SECRET = "security-contacts-webhook-secret-0123";
const PASSWORD = "granite willow ferry compass";
const STAFF_PASSWORD = "staff pass words here ok";
const STAFF_EMAIL = "contacts-agent@staff.test";
const DAY = 86_400_000;
const LINK_BUDGET = 6;

let app: TestApp;
let mail: SmtpSink;
let sms: SmsReceiver;

const email = (u: string) => `${u}@example.test`;
/** Accounts, each used by one test. Phones are verified at import. */
const USERS: Record<string, string> = {
  m3: "",
  m3console: "",
  l10: "+12025550171",
  l10expiry: "",
  l3: "",
  l3phone: "+12025550172",
  ses: "",
  h1new: "",
  h1old: "",
  l15: "",
};
const name = (key: string) => `sc${key}`;

let ipCounter = 0;
function client(ip?: string): Client {
  ipCounter++;
  return new Client(app.origin, { "x-forwarded-for": ip ?? `10.66.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}` });
}

beforeAll(async () => {
  [mail, sms] = await Promise.all([startSmtpSink(), startSmsReceiver({ webhookSecret: SECRET })]);
  app = await startApp({
    smtpUrl: mail.url,
    env: {
      TRUST_PROXY: "loopback",
      SMS_PROVIDER: "webhook",
      SMS_WEBHOOK_URL: `${sms.url}/hook`,
      SMS_WEBHOOK_SECRET: SECRET,
      LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "1000",
      LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "1000",
      LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "1000",
      LIMIT_SMS_PER_NUMBER_PER_HOUR: "100",
      LIMIT_SMS_PER_NUMBER_PER_DAY: "100",
      LIMIT_LINK_FAILURES_PER_IP_PER_15MIN: String(LINK_BUDGET),
    },
  });
  const csv = path.join(app.dir, "users.csv");
  fs.writeFileSync(csv, ["username,email,phone", ...Object.entries(USERS).map(([k, p]) => `${name(k)},${email(name(k))},${p}`)].join("\n") + "\n");
  const results = await Promise.all([
    app.cli(["user", "import", csv]),
    app.cli(["staff", "add", "--email", STAFF_EMAIL, "--name", "Contacts Agent", "--password-stdin"], STAFF_PASSWORD),
  ]);
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  // Imported accounts have no password: each gets one through an ordinary email reset.
  await Promise.all(Object.keys(USERS).map((k) => setPasswordByReset(name(k))));
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await mail?.close();
  await sms?.close();
});

// ---- helpers --------------------------------------------------------------------------------

const pathOf = (link: string) => new URL(link).pathname;

async function nthMail(address: string, subject: RegExp, n = 0): Promise<CaughtMail> {
  const pick = () => mail.to(address).filter((m) => subject.test(m.subject))[n];
  await mail.waitFor(() => pick() !== undefined);
  return pick();
}
const countMail = (address: string, subject: RegExp) => mail.to(address).filter((m) => subject.test(m.subject)).length;

async function setPasswordByReset(username: string): Promise<void> {
  const c = client();
  expect((await c.post("/forgot-password", { identifier: username })).status).toBe(303);
  const m = await nthMail(email(username), /^Reset your/);
  expect((await c.post(pathOf(linkIn(m, "/reset/")), {})).status).toBe(303);
  const done = await c.post("/reset/password", { password: PASSWORD, confirm: PASSWORD });
  expect(done.status, username).toBe(303);
}

async function signIn(username: string): Promise<Client> {
  const c = client();
  const res = await c.post("/login", { identifier: username, password: PASSWORD });
  expect(res.status).toBe(302);
  expect(res.headers.get("location")).toBe("/account");
  return c;
}

/** True while the client's session still opens /account. */
async function signedIn(c: Client): Promise<boolean> {
  const res = await c.get("/account");
  await res.arrayBuffer();
  return res.status === 200;
}

function user(username: string) {
  return app.db().prepare("SELECT * FROM users WHERE username = ?").get(username) as {
    id: string;
    email: string;
    email_verified: number;
    phone: string | null;
    phone_verified: number;
  };
}

type TicketRow = {
  id: string;
  reference: string;
  source: string;
  contact_email: string;
  contact_phone: string | null;
  contact_confirmed: number;
  details: string | null;
  matched_user_id: string | null;
};
const reportTickets = (username: string) =>
  app.db().prepare("SELECT * FROM tickets WHERE matched_user_id = ? AND source = 'report' ORDER BY created_at").all(user(username).id) as TicketRow[];
const locks = (username: string) =>
  app.db().prepare("SELECT reason, ended_at FROM account_locks WHERE user_id = ?").all(user(username).id) as { reason: string; ended_at: number | null }[];
const sessionCount = (username: string) =>
  (app.db().prepare("SELECT COUNT(*) AS n FROM sessions WHERE subject_type = 'user' AND subject_id = ?").get(user(username).id) as { n: number }).n;

/** The "This wasn't me" link in an email or a text message. */
function reportLinkIn(text: string): string {
  const m = text.match(/https?:\/\/[^\s)\]]+\/report\/[A-Za-z0-9_-]{43}/);
  if (!m) throw new Error(`no report link in: ${text}`);
  return m[0];
}

/** HTML as a reader sees it. */
const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");


const CONTACT_CHANGED = /email address was changed|phone number was changed/;
const SETTINGS_CHANGED = /security settings changed/;

/** Changes the email on a signed-in client with the code from the new inbox. */
async function changeEmail(c: Client, to: string): Promise<void> {
  const n = countMail(to, /Confirm your new/);
  expect((await c.post("/account/email", { intent: "start", value: to })).status).toBe(303);
  const code = codeIn(await nthMail(to, /Confirm your new/, n));
  const done = await c.post("/account/email", { intent: "verify", code });
  expect(done.status).toBe(303);
  expect(done.headers.get("location")).toBe("/account?changed=email");
}

/** Sets up the authenticator app on a recently signed-in client; returns its key. */
async function enrolTotp(c: Client): Promise<string> {
  const page = await c.get("/account/totp");
  expect(page.status).toBe(200);
  const secret = (await page.text()).match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
  expect(secret).toBeTruthy();
  const done = await c.post("/account/totp", { code: await totpAt(app, secret!) });
  expect(done.status).toBe(303);
  expect(done.headers.get("location")).toBe("/account/security");
  return secret!;
}

/** Password, then the authenticator code. */
async function signInWithTotp(username: string, secret: string): Promise<Client> {
  const c = client();
  const res = await c.post("/login", { identifier: username, password: PASSWORD });
  expect(res.headers.get("location")).toBe("/login/verify");
  const done = await c.post("/login/verify", { intent: "totp", value: await freshTotp(app, secret) });
  expect(done.status).toBe(303);
  expect(done.headers.get("location")).toBe("/account");
  return c;
}

/**
 * A passkey row as the registration ceremony would store it. Registering a real one needs a
 * browser (tests/e2e/passkeys.spec.ts does); here only its presence and age matter.
 */
function insertPasskey(username: string, passkeyName: string, createdAt: number): string {
  const id = `test-${passkeyName.replace(/\W/g, "")}-${Math.random().toString(36).slice(2)}`;
  const db = new Database(app.dbPath);
  db.pragma("busy_timeout = 5000");
  try {
    db.prepare("INSERT INTO passkeys (id, user_id, public_key, counter, transports, name, created_at) VALUES (?, ?, ?, 0, '[]', ?, ?)").run(
      id,
      user(username).id,
      Buffer.from("not-a-real-key"),
      passkeyName,
      createdAt,
    );
  } finally {
    db.close();
  }
  return id;
}
const passkeyNames = (username: string) =>
  (app.db().prepare("SELECT name FROM passkeys WHERE user_id = ? ORDER BY created_at").all(user(username).id) as { name: string }[]).map((r) => r.name);

/** Password, then the authenticator set-up page: a signed-in staff client. */
async function staffClient(): Promise<Client> {
  const s = client();
  const login = await s.post("/support/login", { email: STAFF_EMAIL, password: STAFF_PASSWORD });
  expect(login.status).toBe(303);
  if (login.headers.get("location") === "/support/setup") {
    const setup = await (await s.get("/support/setup")).text();
    const key = setup.match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
    expect(key).toBeTruthy();
    staffKey = key!;
    const done = await s.post("/support/setup", { code: await totpAt(app, key!) });
    expect(done.status).toBe(303);
  } else {
    expect(login.headers.get("location")).toBe("/support/verify");
    const done = await s.post("/support/verify", { code: await freshTotp(app, staffKey) });
    expect(done.status).toBe(303);
  }
  return s;
}
let staffKey = "";

// ---- M3 -------------------------------------------------------------------------------------

describe("M3 contact takeover", () => {
  test("M3 AR-02 a report from the old address after an e-mail change restores it, locks, and the ticket's contact is the reporter", async () => {
    const u = name("m3");
    const oldAddress = email(u);
    const attacker = "m3-attacker@evil.test";
    const c = await signIn(u);
    await changeEmail(c, attacker);
    expect(user(u)).toMatchObject({ email: attacker, email_verified: 1 });

    const oldNotice = await nthMail(oldAddress, CONTACT_CHANGED);
    const newNotice = await nthMail(attacker, CONTACT_CHANGED);
    const oldLink = reportLinkIn(oldNotice.text);
    const newLink = reportLinkIn(newNotice.text);
    expect(oldLink).not.toBe(newLink);

    // Opening the link changes nothing, and says where support will write and what will be undone.
    const page = await client().get(pathOf(oldLink));
    expect(page.status).toBe(200);
    const pageText = readable(await page.text());
    expect(pageText).toContain("Secure my account");
    expect(pageText).toContain(`at ${oldAddress}, the email address this link was sent to`);
    expect(pageText).toContain("put your previous email address back");
    expect(pageText).not.toContain(attacker);
    expect(user(u).email).toBe(attacker);
    expect(locks(u)).toEqual([]);

    const post = await client().post(pathOf(oldLink), {});
    expect(post.status).toBe(200);
    const done = readable(await post.text());
    expect(done).toContain("We've secured your account");
    expect(done).toContain(`email address is ${oldAddress} again`);
    expect(done).toContain(`at ${oldAddress}, the email address this link was sent to`);
    expect(done).not.toContain(attacker);

    // The change is undone, the account locked and signed out.
    expect(user(u)).toMatchObject({ email: oldAddress, email_verified: 1 });
    expect(locks(u)).toEqual([{ reason: "reported_compromise", ended_at: null }]);
    expect(sessionCount(u)).toBe(0);
    expect(await signedIn(c)).toBe(false);
    // The ticket's contact is the reporter (the old address), proven by the link mailed there.
    const [ticket] = reportTickets(u);
    expect(ticket).toMatchObject({ contact_email: oldAddress, contact_phone: null, contact_confirmed: 1 });
    expect(ticket.details).toContain(`The email address was restored to ${oldAddress} (the change to ${attacker} was undone)`);
    expect(app.db().prepare("SELECT actor, action FROM ticket_events WHERE ticket_id = ? AND action = 'email_restored'").all(ticket.id)).toEqual([
      { actor: "system", action: "email_restored" },
    ]);
    // Nothing of the ticket went to the attacker's address (support's acknowledgement included).
    await outboxSettled(app);
    expect(mail.to(attacker).filter((m) => m.subject.includes(ticket.reference))).toHaveLength(0);

    // The attacker's own link is spent.
    const late = await client().post(pathOf(newLink), {});
    expect(late.status).toBe(410);
    expect(reportTickets(u)).toHaveLength(1);

    // The console says the contact was restored, and Approve would mail the old address (the account's, again).
    const s = await staffClient();
    const view = await s.get(`/support/tickets/${ticket.id}`);
    expect(view.status).toBe(200);
    const viewText = readable(await view.text());
    expect(viewText).toContain("restored by this report: the change was undone");
    expect(viewText).toContain(`emailed to ${oldAddress}`);
    expect(viewText).toContain("email restored");
  });

  test("M3 AR-02 the console does not call a just-changed address a match", async () => {
    const u = name("m3console");
    const attacker = "m3console-attacker@evil.test";
    await changeEmail(await signIn(u), attacker);
    // The intruder asks support for help, giving the address they just set.
    const res = await client().post("/assisted-recovery", {
      website: "",
      fullName: "Someone",
      accountHint: u,
      contactEmail: attacker,
      contactPhone: "",
      category: "lost_factor",
      details: "Please let me in.",
      lastSignInClaim: "today",
      openedClaim: "2020",
      consent: "yes",
    });
    expect(res.status).toBe(200);
    const reference = readable(await res.text()).match(/AR-[A-Z0-9]{4}-[A-Z0-9]{4}/)?.[0];
    const ticket = app.db().prepare("SELECT id FROM tickets WHERE reference = ?").get(reference) as { id: string };
    const s = await staffClient();
    const viewText = readable(await (await s.get(`/support/tickets/${ticket.id}`)).text());
    expect(viewText).toMatch(/matches contact, but changed \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: not proof of identity/);
  });
});

// ---- L10 ------------------------------------------------------------------------------------

describe("L10 report links", () => {
  test("L10 NTF-03 report links are per recipient, single use and expire after 7 days", async () => {
    const u = name("l10");
    const phone = USERS.l10;
    const newAddress = "l10-new@example.test";
    await changeEmail(await signIn(u), newAddress);
    const oldLink = reportLinkIn((await nthMail(email(u), CONTACT_CHANGED)).text);
    const newLink = reportLinkIn((await nthMail(newAddress, CONTACT_CHANGED)).text);
    const text: Sms = await sms.waitFor((m) => m.to === phone && /was changed/.test(m.body));
    const smsLink = reportLinkIn(text.body);
    expect(new Set([oldLink, newLink, smsLink]).size).toBe(3);
    const rows = app.db().prepare("SELECT channel, recipient, restore_kind, created_at, expires_at FROM report_tokens WHERE user_id = ? AND event = 'email_changed' ORDER BY recipient").all(user(u).id) as {
      channel: string;
      recipient: string;
      restore_kind: string | null;
      created_at: number;
      expires_at: number;
    }[];
    expect(rows.map((r) => [r.channel, r.recipient, r.restore_kind])).toEqual([
      ["sms", phone, null],
      ["email", newAddress, null],
      ["email", email(u), "email"],
    ]);
    for (const r of rows) expect(r.expires_at - r.created_at).toBe(7 * DAY);

    // The SMS link: the ticket records the phone it went to; the email is the account's, not proven.
    const page = readable(await (await client().get(pathOf(smsLink))).text());
    expect(page).toContain(`at ${phone}, the phone number this link was texted to`);
    expect((await client().post(pathOf(smsLink), {})).status).toBe(200);
    const [ticket] = reportTickets(u);
    expect(ticket).toMatchObject({ contact_phone: phone, contact_email: newAddress, contact_confirmed: 0 });
    // Not the previous phone of an email change: nothing is restored.
    expect(user(u).email).toBe(newAddress);
    // Single use, and every other report link of the account is spent by the report.
    for (const link of [smsLink, oldLink, newLink]) {
      const res = await client().post(pathOf(link), {});
      expect(res.status, link).toBe(410);
      expect(readable(await res.text())).toContain("This link was already used");
    }
    expect(reportTickets(u)).toHaveLength(1);
  });

  test("L10 NTF-03 a report link is refused 7 days and 1 second after it was sent", async () => {
    const u = name("l10expiry");
    const c = await signIn(u);
    const n = countMail(email(u), SETTINGS_CHANGED);
    await enrolTotp(c); // any security notice will do
    const link = reportLinkIn((await nthMail(email(u), SETTINGS_CHANGED, n)).text);
    await app.advanceClock(7 * DAY - 60_000);
    expect((await client().get(pathOf(link))).status, "still valid a minute before").toBe(200);
    await app.advanceClock(60_000 + 1000);
    const get = await client().get(pathOf(link));
    expect(get.status).toBe(410);
    expect(readable(await get.text())).toContain("This link has expired");
    expect((await client().post(pathOf(link), {})).status).toBe(410);
    expect(locks(u)).toEqual([]);
    expect(reportTickets(u)).toHaveLength(0);
  });
});

// ---- L3 / SES-02 ----------------------------------------------------------------------------

describe("L3 SES-02 contact and factor changes end other sessions", () => {
  test("L3 SES-02 changing the e-mail ends other sessions and kills an outstanding reset link", async () => {
    const u = name("l3");
    const a = await signIn(u);
    // Browser B asks for a reset link to the current address (not used), then signs in and changes the email.
    const b = client();
    const resets = countMail(email(u), /^Reset your/);
    expect((await b.post("/forgot-password", { identifier: u })).status).toBe(303);
    const resetMail = await nthMail(email(u), /^Reset your/, resets);
    const bSigned = await signIn(u);
    expect(await signedIn(a)).toBe(true);
    await changeEmail(bSigned, "l3-new@example.test");
    expect(await signedIn(a), "the other session ended").toBe(false);
    expect(await signedIn(bSigned), "the session that made the change stays").toBe(true);
    expect(sessionCount(u)).toBe(1);
    const used = await b.post(pathOf(linkIn(resetMail, "/reset/")), {});
    expect(used.status).toBeGreaterThanOrEqual(400);
    expect((app.db().prepare("SELECT COUNT(*) AS n FROM recovery_flows WHERE user_id = ? AND status = 'active'").get(user(u).id) as { n: number }).n).toBe(0);
  });

  test("L3 SES-02 changing the phone ends other sessions", async () => {
    const u = name("l3phone");
    const a = await signIn(u);
    const b = await signIn(u);
    expect((await b.post("/account/phone", { intent: "start", value: "(202) 555-0173" })).status).toBe(303);
    const code = smsCode(await sms.waitFor((m) => m.to === "+12025550173"));
    expect((await b.post("/account/phone", { intent: "verify", code })).status).toBe(303);
    expect(user(u).phone).toBe("+12025550173");
    expect(await signedIn(a)).toBe(false);
    expect(await signedIn(b)).toBe(true);
  });

  test("SES-02 adding/removing a factor ends other sessions", async () => {
    const u = name("ses");
    // Authenticator added: the other browser is signed out, this one stays.
    const other = await signIn(u);
    const me = await signIn(u);
    const secret = await enrolTotp(me);
    expect(await signedIn(other)).toBe(false);
    expect(await signedIn(me)).toBe(true);

    // Recovery codes regenerated.
    const other2 = await signInWithTotp(u, secret);
    const me2 = await signInWithTotp(u, secret);
    expect((await me2.post("/account/security", { intent: "regenerate" })).status).toBe(200);
    expect(await signedIn(other2)).toBe(false);
    expect(await signedIn(me2)).toBe(true);

    // A passkey removed (and an outstanding reset link killed with it).
    const passkey = insertPasskey(u, "Spare key", await portalNow(app));
    const other3 = await signInWithTotp(u, secret);
    const me3 = await signInWithTotp(u, secret);
    const b = client();
    const resets = countMail(email(u), /^Reset your/);
    expect((await b.post("/forgot-password", { identifier: u })).status).toBe(303);
    const resetMail = await nthMail(email(u), /^Reset your/, resets);
    expect((await me3.post("/account/security", { intent: "remove-passkey", id: passkey })).status).toBe(200);
    expect(passkeyNames(u)).toEqual([]);
    expect(await signedIn(other3)).toBe(false);
    expect(await signedIn(me3)).toBe(true);
    expect((await b.post(pathOf(linkIn(resetMail, "/reset/")), {})).status).toBeGreaterThanOrEqual(400);

    // Authenticator removed.
    const other4 = await signInWithTotp(u, secret);
    const me4 = await signInWithTotp(u, secret);
    expect((await me4.post("/account/security", { intent: "disable-totp", code: await freshTotp(app, secret) })).status).toBe(200);
    expect(await signedIn(other4)).toBe(false);
    expect(await signedIn(me4)).toBe(true);
    expect(sessionCount(u)).toBe(1);
  });
});

// ---- H1 -------------------------------------------------------------------------------------

describe("H1 a report removes recently added factors", () => {
  test("H1 a report removes the authenticator and passkeys added in the last 7 days and tells support", async () => {
    const fresh = name("h1new");
    const old = name("h1old");
    // Eight days ago: the owner of `old` set up an authenticator.
    const oldSecret = await enrolTotp(await signIn(old));
    await app.advanceClock(8 * DAY);

    // Today, on `fresh`: an authenticator app, a passkey and recovery codes appear. The owners'
    // own passkeys date from 8 days ago.
    const c = await signIn(fresh);
    insertPasskey(fresh, "Owner phone", (await portalNow(app)) - 8 * DAY);
    insertPasskey(old, "Owner laptop", (await portalNow(app)) - 8 * DAY);
    const settings = countMail(email(fresh), SETTINGS_CHANGED);
    await enrolTotp(c);
    const notice = await nthMail(email(fresh), SETTINGS_CHANGED, settings);
    expect(notice.text).toMatch(/authenticator app was added/);
    insertPasskey(fresh, "Intruder key", await portalNow(app));
    expect((await c.post("/account/security", { intent: "regenerate" })).status).toBe(200);

    expect((await client().post(pathOf(reportLinkIn(notice.text)), {})).status).toBe(200);
    expect(app.db().prepare("SELECT * FROM user_totp WHERE user_id = ?").get(user(fresh).id)).toBeUndefined();
    expect(passkeyNames(fresh)).toEqual(["Owner phone"]);
    expect((app.db().prepare("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ?").get(user(fresh).id) as { n: number }).n).toBe(0);
    const [ticket] = reportTickets(fresh);
    expect(ticket.details).toMatch(/Removed because they were added in the 7 days before the report: .*passkey "Intruder key" added \d{4}-\d{2}-\d{2}/);
    expect(ticket.details).toMatch(/authenticator app added \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(ticket.details).toMatch(/10 recovery codes created/);
    expect(ticket.details).not.toContain("Owner phone");
    const auditRow = app.db().prepare("SELECT details FROM audit_events WHERE user_id = ? AND event = 'compromise_reported'").get(user(fresh).id) as { details: string };
    const details = JSON.parse(auditRow.details) as Record<string, unknown>;
    expect(details.removed_passkeys).toMatch(/^passkey "Intruder key" added \d{4}-/);
    expect(details.removed_totp).toMatch(/^authenticator app added \d{4}-/);
    expect(details.removed_recovery_codes).toBe(10);
    // Support's email says it too.
    const supportMail = await mail.waitFor((m) => m.subject.includes(ticket.reference) && m.to.some((t) => t !== email(fresh)));
    expect(supportMail.text).toContain("Intruder key");

    // On `old`, the authenticator and passkey added 8 days ago stay; codes made today go.
    const o = await signInWithTotp(old, oldSecret);
    const n = countMail(email(old), SETTINGS_CHANGED);
    expect((await o.post("/account/security", { intent: "regenerate" })).status).toBe(200);
    const oldNotice = await nthMail(email(old), SETTINGS_CHANGED, n);
    expect((await client().post(pathOf(reportLinkIn(oldNotice.text)), {})).status).toBe(200);
    expect(app.db().prepare("SELECT confirmed_at FROM user_totp WHERE user_id = ?").get(user(old).id)).toBeTruthy();
    expect(passkeyNames(old)).toEqual(["Owner laptop"]);
    expect((app.db().prepare("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ?").get(user(old).id) as { n: number }).n).toBe(0);
    const [oldTicket] = reportTickets(old);
    expect(oldTicket.details).toContain("10 recovery codes created");
    expect(oldTicket.details).not.toMatch(/authenticator app added|Owner laptop/);
  });
});

// ---- L15 ------------------------------------------------------------------------------------

describe("L15 ticket confirm links", () => {
  async function openFormTicket(contact: string): Promise<{ reference: string; link: string }> {
    const res = await client().post("/assisted-recovery", {
      website: "",
      fullName: "Lee Fifteen",
      accountHint: name("l15"),
      contactEmail: contact,
      contactPhone: "",
      category: "locked",
      details: "Locked out.",
      lastSignInClaim: "yesterday",
      openedClaim: "2022",
      consent: "yes",
    });
    expect(res.status).toBe(200);
    const reference = readable(await res.text()).match(/AR-[A-Z0-9]{4}-[A-Z0-9]{4}/)![0];
    const ack = await nthMail(contact, /We received your request/);
    return { reference, link: pathOf(linkIn(ack, "/assisted-recovery/confirm/")) };
  }
  const confirmed = (reference: string) => (app.db().prepare("SELECT contact_confirmed FROM tickets WHERE reference = ?").get(reference) as { contact_confirmed: number }).contact_confirmed;

  test("L15 TOK-05 TOK-09 ticket confirm links expire after 7 days and invalid ones are throttled", async () => {
    // Expiry: a week and a second after the ticket, the link is refused with a friendly 410.
    const late = await openFormTicket("l15-late@contact.test");
    await app.advanceClock(7 * DAY + 1000);
    const expired = await client().post(late.link, {});
    expect(expired.status).toBe(410);
    expect(readable(await expired.text())).toContain("This link has expired");
    expect(confirmed(late.reference)).toBe(0);

    // Guessing: invalid confirm tokens and invalid report tokens share the per-client budget.
    const ip = "10.66.250.7";
    const guesser = client(ip);
    const valid = await openFormTicket("l15-valid@contact.test");
    for (let i = 0; i < LINK_BUDGET - 2; i++) {
      const res = await guesser.post(`/assisted-recovery/confirm/${String(i).padStart(43, "G")}`, {});
      expect(res.status, `guess ${i + 1}`).toBe(404);
    }
    for (let i = 0; i < 2; i++) expect((await guesser.get(`/report/${String(i).padStart(43, "R")}`)).status).toBe(404);
    const throttled = await guesser.post(`/assisted-recovery/confirm/${"H".repeat(43)}`, {});
    expect(throttled.status).toBe(429);
    expect(readable(await throttled.text())).toContain("Too many attempts");
    // Even a real link is not looked at from that client now; from another it works.
    expect((await client(ip).post(valid.link, {})).status).toBe(429);
    expect(confirmed(valid.reference)).toBe(0);
    const ok = await client().post(valid.link, {});
    expect(ok.status).toBe(200);
    expect(confirmed(valid.reference)).toBe(1);
  });
});
