import { totpAt } from "../helpers/totp";
import { describe, expect, test } from "vitest";
import { sleep } from "../helpers/customer";
import { Client, prestagedPost } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";
import { staffDriver } from "../helpers/staff";

/**
 * Staff sign-in hardening (security review 2026-11-27: H2, L1, L12 and the staff half of M6;
 * issue 10 "Staff sign-in"). Black-box over real HTTP against the real portal, with a real SMTP
 * sink: 10 wrong authenticator codes lock a staff member (alerted by e-mail, unlocked only by a
 * colleague or the CLI), a code is accepted once even under a race, `staff disable` ends sessions,
 * ticket reads are audited, the set-up secret is shown to one password step only, and the staff
 * password step holds a parallel burst to its budget.
 *
 * Each client presents its own address in X-Forwarded-For (TRUST_PROXY=loopback), so per-address
 * budgets only trip where a test means them to. The portal's clock is moved to step TOTP codes.
 */

const SUPPORT = "support@localhost";
const STAFF_PASSWORD = "staff pass words here ok";
const STAFF = ["locked", "unlocker", "victim", "replay", "race", "disabled", "viewer", "setup", "delayed"].map((n) => `${n}@staff.test`);

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });

const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.88" },
  env: { TRUST_PROXY: "loopback", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24", LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "10" },
  setup: () => staff.add(...STAFF),
});
const { client, nextIp } = customer;

// ---- helpers --------------------------------------------------------------------------------

/** A 6-digit code the authenticator does not show in the accepted window (±1 step). */
async function wrongCode(secret: string, seed = 0): Promise<string> {
  const valid = new Set([await totpAt(app, secret, -1), await totpAt(app, secret), await totpAt(app, secret, 1)]);
  for (let n = seed; ; n++) {
    const c = String((n * 104_729) % 1_000_000).padStart(6, "0");
    if (!valid.has(c)) return c;
  }
}

const staffRow = (address: string) => probe.staffRow(address)!;
const staffSessions = probe.staffSessionsOf;
const auditRows = (event: string) => probe.auditEvents({ event });

const passwordStep = staff.passwordStep;
const enrolStaff = (address: string) => staff.enrol(address);
/** A fresh sign-in with a code from the next time step (never a replay); returns the answer as it came. */
const signIn = (s: { email: string; secret: string }, c = client()) => staff.trySignIn(s, c);

const withoutNonce = (html: string) => html.replace(/nonce="[^"]*"/g, "");

// ---- H2: lock after 10 wrong codes ----------------------------------------------------------

describe("H2 staff lock after 10 wrong authenticator codes", () => {
  test("H2 RL-01 MFA-04 NTF-02 10 wrong codes (3 cookies, 3 addresses) lock the staff member; even the right password and code are refused like a wrong password; staff and support are e-mailed; CLI unlock restores", async () => {
    const s = await enrolStaff("locked@staff.test");
    expect((await s.c.get("/support")).status).toBe(200);
    await app.advanceClock(30_000);
    const submitted: string[] = [];
    // A pending cookie taken before the lock, kept for later.
    const early = client();
    expect((await passwordStep(s.email, early)).headers.get("location")).toBe("/support/verify");

    const attackerIps = [nextIp(), nextIp(), nextIp()];
    let n = 0;
    for (const [i, ip] of attackerIps.entries()) {
      const c = client(ip);
      expect((await passwordStep(s.email, c)).headers.get("location")).toBe("/support/verify");
      for (let k = 0; k < (i === 2 ? 2 : 4); k++) {
        const code = await wrongCode(s.secret, ++n);
        submitted.push(code);
        const r = await c.post("/support/verify", { code });
        expect(r.status).toBe(400);
        if (n < 10) expect(staffRow(s.email)).toMatchObject({ failed_code_count: n, locked_at: null });
      }
    }
    expect(n).toBe(10);
    const row = staffRow(s.email);
    expect(row.locked_at).not.toBeNull();
    expect(row.locked_ip).toBe(attackerIps[2]);

    // Locked: the live session is gone, the right password is answered like a wrong one, and a
    // pending cookie from before the lock does not take the right code.
    expect((await s.c.get("/support")).headers.get("location")).toBe("/support/login");
    expect(staffSessions(s.id)).toBe(0);
    await app.advanceClock(30_000);
    const right = await passwordStep(s.email);
    const unknown = await passwordStep("nobody-at-all@staff.test");
    expect(right.status).toBe(400);
    expect(right.headers.getSetCookie()).toEqual([]);
    expect(withoutNonce(await right.text())).toBe(withoutNonce(await unknown.text()));
    const late = await early.post("/support/verify", { code: await totpAt(app, s.secret) });
    expect(late.status).toBe(400);
    expect(late.headers.get("location")).toBeNull();
    expect(staffSessions(s.id)).toBe(0);

    // The alert: to the staff member and to support; when, where from, how many, how to unlock; no code.
    const toStaff = await mail.waitFor((m) => m.to.includes(s.email) && /locked/i.test(m.subject));
    const toSupport = await mail.waitFor((m) => m.to.includes(SUPPORT) && /locked/i.test(m.subject) && m.subject.includes(s.email));
    for (const m of [toStaff, toSupport]) {
      expect(m.text).toContain(attackerIps[2]);
      expect(m.text).toMatch(/10 wrong authenticator codes/);
      expect(m.text).toContain(`staff unlock --email ${s.email}`);
      expect(m.text).toContain("/support/staff");
      expect(m.text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      for (const code of submitted) expect(m.text).not.toContain(code);
    }
    expect(auditRows("staff_locked").some((r) => JSON.parse(r.details).staff_id === s.id)).toBe(true);

    // The operator unlocks; the right password and a fresh code work again.
    const cli = await app.cli(["staff", "unlock", "--email", s.email]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("unlocked");
    expect(staffRow(s.email)).toMatchObject({ locked_at: null, failed_code_count: 0 });
    const back = await signIn(s);
    expect(back.res.status).toBe(303);
    expect(back.res.headers.get("location")).toBe("/support");
    expect((await back.c.get("/support")).status).toBe(200);
    expect(auditRows("staff_unlocked").some((r) => r.actor_type === "operator" && JSON.parse(r.details).staff_id === s.id)).toBe(true);
  });

  test("H2 RL-01 a right code resets the count: 9 wrong, the right one, 9 wrong again do not lock", async () => {
    const s = await enrolStaff("delayed@staff.test");
    await app.advanceClock(30_000);
    const c = client();
    await passwordStep(s.email, c);
    for (let k = 0; k < 9; k++) expect((await c.post("/support/verify", { code: await wrongCode(s.secret, 100 + k) })).status).toBe(400);
    expect(staffRow(s.email).failed_code_count).toBe(9);
    expect((await c.post("/support/verify", { code: await totpAt(app, s.secret) })).status).toBe(303);
    expect(staffRow(s.email).failed_code_count).toBe(0);
    await app.advanceClock(30_000);
    const d = client();
    await passwordStep(s.email, d);
    for (let k = 0; k < 9; k++) expect((await d.post("/support/verify", { code: await wrongCode(s.secret, 200 + k) })).status).toBe(400);
    expect(staffRow(s.email)).toMatchObject({ failed_code_count: 9, locked_at: null });
    expect((await d.post("/support/verify", { code: await totpAt(app, s.secret) })).status).toBe(303);
  });

  test("H2 AR-04 another staff member unlocks a locked colleague on /support/staff with a required note; nobody unlocks themselves", async () => {
    const helper = await enrolStaff("unlocker@staff.test");
    const victim = await enrolStaff("victim@staff.test");

    // The console header links to the staff page; the page lists staff with their state.
    expect(await (await helper.c.get("/support")).text()).toContain('href="/support/staff"');
    const self = await victim.c.post("/support/staff", { intent: "unlock", staffId: victim.id, note: "it was me" });
    expect(self.status).toBe(403);
    expect(await self.text()).toContain("can&#x27;t unlock your own account");

    // Lock the victim with 10 wrong codes.
    await app.advanceClock(30_000);
    const attacker = client();
    await passwordStep(victim.email, attacker);
    for (let k = 0; k < 10; k++) await attacker.post("/support/verify", { code: await wrongCode(victim.secret, 300 + k) });
    expect(staffRow(victim.email).locked_at).not.toBeNull();

    // The locked staff member cannot reach the page to unlock themselves.
    const again = await victim.c.post("/support/staff", { intent: "unlock", staffId: victim.id, note: "it was me" });
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe("/support/login");
    expect(staffRow(victim.email).locked_at).not.toBeNull();

    const page = await helper.c.get("/support/staff");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("victim@staff.test");
    expect(html).toMatch(/locked/);
    expect(html).toContain(`value="${victim.id}"`);

    const noNote = await helper.c.post("/support/staff", { intent: "unlock", staffId: victim.id, note: "  " });
    expect(noNote.status).toBe(400);
    expect(staffRow(victim.email).locked_at).not.toBeNull();

    const ok = await helper.c.post("/support/staff", { intent: "unlock", staffId: victim.id, note: "Called Vic on the desk phone; she mistyped. #unl-1" });
    expect(ok.status).toBe(200);
    expect(staffRow(victim.email)).toMatchObject({ locked_at: null, failed_code_count: 0 });
    expect(pick(probe.staffEvents(victim.id), "actor", "action", "note")).toEqual([
      { actor: "system", action: "locked", note: null },
      { actor: `staff:${helper.id}`, action: "unlocked", note: "Called Vic on the desk phone; she mistyped. #unl-1" },
    ]);
    const audited = auditRows("staff_unlocked").filter((r) => r.actor_id === helper.id);
    expect(audited.map((r) => JSON.parse(r.details))).toEqual([{ staff_id: victim.id, via: "console" }]);
    expect(await (await helper.c.get("/support/staff")).text()).toContain("#unl-1");

    const back = await signIn(victim);
    expect(back.res.status).toBe(303);
  });
});

// ---- H2 / M6: the password step -------------------------------------------------------------

describe("H2 M6 the staff password step", () => {
  test("M6 RL-02 RL-06 40 concurrent POST /support/login from one address: at most the per-minute budget (10) answered 400, the rest 429", async () => {
    const ip = nextIp();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => client(ip).post("/support/login", { email: `spray${i}@staff.test`, password: `wrong password number ${i}` })),
    );
    const statuses = answers.map((r) => r.status);
    const refused = statuses.filter((s) => s === 400).length;
    expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(10);
    const throttled = answers.find((r) => r.status === 429)!;
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("H2 RL-02 M6 wrong passwords for one staff e-mail: 5 in a row, then a growing wait (even in a parallel burst, even for the right password); known and unknown e-mails answer alike", async () => {
    const known = "viewer@staff.test";
    const unknown = "nobody-here@staff.test";
    // A parallel burst of 9 distinct wrong passwords from 9 addresses: 5 are checked, 4 must wait.
    // The portal's clock stands still meanwhile, so both waits start at the same moment and their
    // Retry-After can be compared exactly (on a loaded machine a second passed between them).
    await app.freezeClock(true);
    const bursts = await Promise.all(
      [known, unknown].map((address) => Promise.all(Array.from({ length: 9 }, (_, i) => passwordStep(address, client(), `not it ${i} at all`)))),
    );
    for (const [i, answers] of bursts.entries()) {
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses, [known, unknown][i]).toEqual([400, 400, 400, 400, 400, 429, 429, 429, 429]);
    }
    expect(staffRow(known).failed_password_count).toBe(5);
    // During the wait even the right password is refused, the same way for both.
    const [k, u] = await Promise.all([passwordStep(known), passwordStep(unknown)]);
    expect([k.status, u.status]).toEqual([429, 429]);
    expect(withoutNonce(await k.text())).toBe(withoutNonce(await u.text()));
    expect(k.headers.get("retry-after")).toBe(u.headers.get("retry-after"));
    await app.freezeClock(false);
    // 30 s later one more try each; a wrong one makes the next wait longer (60 s).
    await app.advanceClock(31_000);
    expect((await passwordStep(known, client(), "still wrong")).status).toBe(400);
    expect((await passwordStep(unknown, client(), "still wrong")).status).toBe(400);
    await app.advanceClock(31_000);
    expect((await passwordStep(known)).status).toBe(429);
    expect((await passwordStep(unknown)).status).toBe(429);
    await app.advanceClock(30_000);
    // The right password is accepted and forgets the run.
    const ok = await passwordStep(known);
    expect(ok.status).toBe(303);
    expect(staffRow(known).failed_password_count).toBe(0);
  });
});

// ---- L1: one code, one session --------------------------------------------------------------

describe("L1 staff codes are accepted once, even in a race", () => {
  test("L1 MFA-04 a request whose headers were sent before the code was used cannot reuse it when its body arrives", async () => {
    const s = await enrolStaff("replay@staff.test");
    await app.advanceClock(30_000);
    const attacker = client();
    expect((await passwordStep(s.email, attacker)).headers.get("location")).toBe("/support/verify");
    const code = await totpAt(app, s.secret);
    const staged = prestagedPost(app.origin, "/support/verify", `code=${code}`, { Cookie: `staff_pending=${attacker.cookies.get("staff_pending")}`, "X-Forwarded-For": nextIp() });
    await staged.sendHeaders();
    await sleep(300); // the portal has the request (headers) and waits for the body

    // The real staff member signs in with the code the attacker is watching for.
    const owner = client();
    await passwordStep(s.email, owner);
    const used = await owner.post("/support/verify", { code });
    expect(used.status).toBe(303);
    const before = staffSessions(s.id);

    expect(await staged.sendBody()).toBe(400);
    expect(staffSessions(s.id)).toBe(before);
  });

  test("L1 MFA-04 two identical code POSTs at once (same pending cookie) get exactly one session", async () => {
    const s = await enrolStaff("race@staff.test");
    for (let round = 0; round < 3; round++) {
      await app.advanceClock(30_000);
      const c = client();
      await passwordStep(s.email, c);
      const code = await totpAt(app, s.secret);
      const before = staffSessions(s.id);
      // Both requests are in the portal (headers read, pending cookie checked) before either body
      // arrives; then both bodies are sent at once.
      const cookie = `staff_pending=${c.cookies.get("staff_pending")}`;
      const pair = [0, 1].map(() => prestagedPost(app.origin, "/support/verify", `code=${code}`, { Cookie: cookie, "X-Forwarded-For": nextIp() }));
      await Promise.all(pair.map((p) => p.sendHeaders()));
      await sleep(200);
      const statuses = await Promise.all(pair.map((p) => p.sendBody()));
      expect(statuses.sort(), `round ${round}`).toEqual([303, 400]);
      expect(staffSessions(s.id)).toBe(before + 1);
    }
  });
});

// ---- L12: lifecycle, audit, set-up secret ----------------------------------------------------

describe("L12 staff lifecycle", () => {
  test("L12 SES-02 `staff disable` ends that staff member's sessions at once and refuses sign-in (like a wrong password); `staff enable` lets them back", async () => {
    const s = await enrolStaff("disabled@staff.test");
    expect((await s.c.get("/support")).status).toBe(200);
    await app.advanceClock(30_000);
    const pending = client();
    await passwordStep(s.email, pending);

    const off = await app.cli(["staff", "disable", "--email", s.email]);
    expect(off.code, off.stderr).toBe(0);
    expect(staffSessions(s.id)).toBe(0);
    const next = await s.c.get("/support");
    expect(next.status).toBe(302);
    expect(next.headers.get("location")).toBe("/support/login");
    // A pending cookie from before does not take a right code; the right password is refused.
    expect((await pending.post("/support/verify", { code: await totpAt(app, s.secret) })).status).toBe(400);
    const pw = await passwordStep(s.email);
    const unknown = await passwordStep("not-staff-at-all@staff.test");
    expect(pw.status).toBe(400);
    expect(withoutNonce(await pw.text())).toBe(withoutNonce(await unknown.text()));
    expect(staffSessions(s.id)).toBe(0);

    const on = await app.cli(["staff", "enable", "--email", s.email]);
    expect(on.code, on.stderr).toBe(0);
    expect((await signIn(s)).res.status).toBe(303);
    expect(auditRows("staff_disabled").some((r) => JSON.parse(r.details).staff_id === s.id)).toBe(true);
    expect(auditRows("staff_enabled").some((r) => JSON.parse(r.details).staff_id === s.id)).toBe(true);
    const usage = await app.cli(["help"]);
    expect(usage.stdout).toMatch(/staff disable --email E \| staff enable --email E/);
    expect(usage.stdout).toMatch(/staff unlock --email E/);
    expect((await app.cli(["staff", "disable", "--email", "ghost@staff.test"])).code).not.toBe(0);
  });

  test("L12 LOG-01 a staff member reading a ticket is audited (ids only); signing out is audited", async () => {
    const s = await enrolStaff("viewer@staff.test");
    const contact = `viewed.${Date.now() % 100000}@contact.test`;
    const form = {
      website: "",
      fullName: "Grace Hopper",
      accountHint: "",
      contactEmail: contact,
      contactPhone: "",
      category: "locked",
      details: "Please help.",
      lastSignInClaim: "",
      openedClaim: "",
      consent: "yes",
    };
    expect((await client().post("/assisted-recovery", form)).status).toBe(200);
    const [ticket] = probe.ticketsByContact(contact);
    expect((await s.c.get(`/support/tickets/${ticket.id}`)).status).toBe(200);
    const views = auditRows("ticket_viewed").filter((r) => r.actor_id === s.id);
    expect(views).toHaveLength(1);
    expect(views[0].actor_type).toBe("staff");
    expect(JSON.parse(views[0].details)).toEqual({ ticket_id: ticket.id });
    expect(views[0].details).not.toContain(contact);

    const out = await s.c.post("/support/logout", {});
    expect(out.headers.get("location")).toBe("/support/login");
    expect(auditRows("staff_sign_out").filter((r) => r.actor_id === s.id)).toHaveLength(1);
  });

  test("L12 MFA-04 the set-up page shows an unconfirmed secret only to the password step it was made for", async () => {
    const address = "setup@staff.test";
    const first = client();
    expect((await passwordStep(address, first)).headers.get("location")).toBe("/support/setup");
    const secretOf = async (c: Client) => (await (await c.get("/support/setup")).text()).match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
    const s1 = await secretOf(first);
    expect(s1).toBeTruthy();
    expect(await secretOf(first)).toBe(s1); // a reload shows the same key

    // Someone else with the password: a new key, never the one shown before.
    const second = client();
    await passwordStep(address, second);
    const s2 = await secretOf(second);
    expect(s2).toBeTruthy();
    expect(s2).not.toBe(s1);
    // The first key is now worthless; the second confirms only from its own password step.
    expect((await first.post("/support/setup", { code: await totpAt(app, s1!) })).status).toBe(400);
    expect((await first.post("/support/setup", { code: await totpAt(app, s2!) })).status).toBe(400);
    expect(staffRow(address).totp_confirmed_at).toBeNull();
    // (Those refusals re-rendered the set-up page for the first cookie, which made it a key of its
    // own: whoever views last holds the only usable key.) The second step reloads and confirms.
    const s3 = await secretOf(second);
    expect([s1, s2]).not.toContain(s3);
    const done = await second.post("/support/setup", { code: await totpAt(app, s3!) });
    expect(done.status).toBe(303);
    expect(staffRow(address).totp_confirmed_at).not.toBeNull();
  });
});
