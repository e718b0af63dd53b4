import { freshTotp, portalNow } from "../helpers/totp";
import { describe, expect, test } from "vitest";
import { RELAXED_LIMITS, outboxSettled } from "../helpers/app";
import { pathOf, readable, reportLinkIn } from "../helpers/customer";
import { linkIn } from "../helpers/smtp-sink";
import { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";
import { smsCode, type Sms } from "../helpers/sms-receiver";
import { staffDriver, type StaffLogin } from "../helpers/staff";

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

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });

const { app, mail, sms, probe, customer } = usePortal({
  clients: { ip: "10.66" },
  env: {
    ...RELAXED_LIMITS,
    LIMIT_SMS_PER_NUMBER_PER_HOUR: "100",
    LIMIT_SMS_PER_NUMBER_PER_DAY: "100",
    LIMIT_LINK_FAILURES_PER_IP_PER_15MIN: String(LINK_BUDGET),
  },
  sms: { secret: SECRET },
  accounts: Object.entries(USERS).map(([k, phone]) => ({ username: name(k), phone: phone || undefined })),
  // Imported accounts have no password: each gets one through an ordinary email reset.
  setup: async () => void (await Promise.all([staff.add(STAFF_EMAIL), customer.givePasswords(Object.keys(USERS).map(name), PASSWORD)])),
});
const { client, nthMail, countMail } = customer;

// ---- helpers --------------------------------------------------------------------------------

/** A signed-in client (this file's password; accounts without a second factor). */
const signIn = (username: string) => customer.signedIn(username, PASSWORD);
const signedIn = customer.isSignedIn;
const user = (username: string) => probe.userRow(username)!;
const reportTickets = (username: string) => probe.ticketsOf(user(username).id, "report");
const locks = (username: string) => pick(probe.locksOf(user(username).id), "reason", "ended_at");
const sessionCount = (username: string) => probe.sessionsOf(user(username).id);

const CONTACT_CHANGED = /email address was changed|phone number was changed/;
const SETTINGS_CHANGED = /security settings changed/;

const changeEmail = customer.changeEmail;
const enrolTotp = (c: Client) => customer.enrolTotp(c);
const signInWithTotp = (username: string, secret: string) => customer.signInWithTotp(username, PASSWORD, secret);

/**
 * A passkey row as the registration ceremony would store it. Registering a real one needs a
 * browser (tests/e2e/passkeys.spec.ts does); here only its presence and age matter.
 */
function insertPasskey(username: string, passkeyName: string, createdAt: number): string {
  const id = `test-${passkeyName.replace(/\W/g, "")}-${Math.random().toString(36).slice(2)}`;
  probe.insertPasskey({ id, userId: user(username).id, name: passkeyName, createdAt });
  return id;
}
const passkeyNames = (username: string) => probe.passkeysOf(user(username).id).map((r) => r.name);

/** A signed-in staff client: the first time, password and authenticator set-up; afterwards, password and a fresh code. */
let staffLogin: StaffLogin | undefined;
async function staffClient(): Promise<Client> {
  staffLogin = staffLogin ? await staff.signIn(staffLogin) : await staff.enrol(STAFF_EMAIL);
  return staffLogin.c;
}

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
    expect(pick(probe.ticketEvents(ticket.id).filter((e) => e.action === "email_restored"), "actor", "action")).toEqual([
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
    const ticket = probe.ticketRow(reference!)!;
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
    const rows = probe.reportTokensOf(user(u).id, "email_changed");
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
    expect(probe.activeFlowsOf(user(u).id)).toHaveLength(0);
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
    expect(probe.totpRow(user(fresh).id)).toBeUndefined();
    expect(passkeyNames(fresh)).toEqual(["Owner phone"]);
    expect(probe.recoveryCodesOf(user(fresh).id)).toHaveLength(0);
    const [ticket] = reportTickets(fresh);
    expect(ticket.details).toMatch(/Removed because they were added in the 7 days before the report: .*passkey "Intruder key" added \d{4}-\d{2}-\d{2}/);
    expect(ticket.details).toMatch(/authenticator app added \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(ticket.details).toMatch(/10 recovery codes created/);
    expect(ticket.details).not.toContain("Owner phone");
    const [auditRow] = probe.auditEvents({ userId: user(fresh).id, event: "compromise_reported" });
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
    expect(probe.totpRow(user(old).id)).toBeTruthy();
    expect(passkeyNames(old)).toEqual(["Owner laptop"]);
    expect(probe.recoveryCodesOf(user(old).id)).toHaveLength(0);
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
  const confirmed = (reference: string) => probe.ticketRow(reference)!.contact_confirmed;

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
