import path from "node:path";
import { describe, expect, test } from "vitest";
import { runCli, tempDir } from "../helpers/app";
import { testDatabaseUrl, testEngine } from "../helpers/postgres";
import { page } from "../helpers/customer";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";
import { linkIn } from "../helpers/smtp-sink";
import { staffDriver } from "../helpers/staff";

/**
 * Staff roles (issue 14, "Staff and roles"). Black-box over real HTTP against the real portal and
 * the real CLI: `staff add` makes agents unless `--role` says otherwise, `staff role` changes a
 * role; the staff page is for admins only (others get a 403 page); an admin changes a colleague's
 * role, disables them (their session ends at once) and enables them, and resets their
 * authenticator (they set it up again at the next sign-in); an admin cannot change themselves.
 * Every change leaves an audit row naming the admin (actor) and the colleague (staff_id).
 */

const STAFF_PASSWORD = "staff pass words here ok";
const ADMINS = ["boss", "chief", "head", "lead", "self", "inviter", "resender"].map((n) => `${n}@roles.test`);
const AGENTS = ["agent", "promoted", "off", "reset"].map((n) => `${n}@roles.test`);

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });

const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.89" },
  env: { TRUST_PROXY: "loopback", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24" },
  setup: async () => {
    await staff.addAs("admin", ...ADMINS);
    await staff.addAs("agent", ...AGENTS);
  },
});

const staffRow = (address: string) => probe.staffRow(address)!;
const auditRows = (event: string) => probe.auditEvents({ event });
/** The audit rows of `event` about staff member `staffId`, with their details parsed. */
const auditAbout = (event: string, staffId: string) =>
  auditRows(event)
    .map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }))
    .filter((r) => r.details.staff_id === staffId);

// ---- CLI -------------------------------------------------------------------------------------

describe("staff roles from the CLI", () => {
  test("staff add without --role makes an agent, --role makes that role; staff role changes it in one line, audited; unknown role or e-mail refused in one line", async () => {
    // Each CLI run is a process of its own: the independent ones run side by side.
    const [plain, sup, badAdd] = await Promise.all([
      app.cli(["staff", "add", "--email", "cli-plain@roles.test", "--name", "Plain", "--password-stdin"], STAFF_PASSWORD),
      app.cli(["staff", "add", "--email", "cli-sup@roles.test", "--name", "Sup", "--role", "supervisor"]),
      app.cli(["staff", "add", "--email", "cli-bad@roles.test", "--name", "Bad", "--role", "owner"]),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(staffRow("cli-plain@roles.test").role).toBe("agent");
    expect(sup.code, sup.stderr).toBe(0);
    expect(staffRow("cli-sup@roles.test").role).toBe("supervisor");
    const created = auditAbout("staff_created", staffRow("cli-sup@roles.test").id);
    expect(created.map((r) => r.details)).toEqual([{ staff_id: staffRow("cli-sup@roles.test").id, role: "supervisor" }]);

    expect(badAdd.code).toBe(1);
    expect(badAdd.stderr.trim().split("\n")).toHaveLength(1);
    expect(badAdd.stderr).toContain("--role must be agent, supervisor or admin");
    expect(probe.staffRow("cli-bad@roles.test")).toBeUndefined();

    const id = staffRow("cli-plain@roles.test").id;
    const promote = await app.cli(["staff", "role", "--email", "cli-plain@roles.test", "--role", "admin"]);
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout.trim().split("\n")).toEqual(["staff member cli-plain@roles.test is now admin (was agent)"]);
    expect(staffRow("cli-plain@roles.test").role).toBe("admin");
    const again = await app.cli(["staff", "role", "--email", "cli-plain@roles.test", "--role", "admin"]);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe("staff member cli-plain@roles.test is already admin");
    const rows = auditAbout("staff_role_changed", id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: "operator", actor_id: "cli", outcome: "success" });
    expect(rows[0].details).toEqual({ staff_id: id, from: "agent", to: "admin", via: "cli" });

    const refusals = [
      ["staff", "role", "--email", "cli-plain@roles.test", "--role", "root"],
      ["staff", "role", "--email", "ghost@roles.test", "--role", "agent"],
      ["staff", "role", "--email", "cli-plain@roles.test"],
    ];
    const [help, ...refused] = await Promise.all([app.cli(["help"]), ...refusals.map((args) => app.cli(args))]);
    for (const [i, r] of refused.entries()) {
      expect(r.code, refusals[i].join(" ")).toBe(1);
      expect(r.stderr.trim().split("\n"), refusals[i].join(" ")).toHaveLength(1);
    }
    expect(staffRow("cli-plain@roles.test").role).toBe("admin");
    expect(help.stdout).toMatch(/staff role --email E --role agent\|supervisor\|admin/);
  }, 90_000);
});

// ---- the console -----------------------------------------------------------------------------

describe("the staff page is for admins", () => {
  test("an agent gets a 403 page on /support/staff (GET and POST, audited) and changes nothing; an admin sees every member with role and status, and labelled forms that work without JavaScript", async () => {
    const agent = await staff.enrol("agent@roles.test");
    const boss = await staff.enrol("boss@roles.test");

    const refused = await page(await agent.c.get("/support/staff"));
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("This page is for admins.");
    const post = await page(await agent.c.post("/support/staff", { intent: "disable", staffId: boss.id }));
    expect(post.status).toBe(403);
    expect(staffRow("boss@roles.test").status).toBe("active");
    expect(probe.staffSessionsOf(boss.id)).toBe(1);
    const denied = auditRows("staff_access_refused").filter((r) => r.actor_id === agent.id);
    expect(denied.map((r) => JSON.parse(r.details))).toEqual([
      { path: "/support/staff", role: "agent", needed: "admin" },
      { path: "/support/staff", role: "agent", needed: "admin" },
    ]);
    // The agent still works tickets.
    expect((await agent.c.get("/support")).status).toBe(200);

    const seen = await page(await boss.c.get("/support/staff"));
    expect(seen.status).toBe(200);
    const item = (email: string) => seen.text.match(new RegExp(`data-testid="staff-${email}"[\\s\\S]*?</li>`))?.[0] ?? "";
    expect(item("agent@roles.test")).toMatch(/data-testid="role">agent</);
    expect(item("agent@roles.test")).toContain("active");
    expect(item("boss@roles.test")).toMatch(/data-testid="role">admin</);
    expect(item("boss@roles.test")).toContain("(you)");
    // No forms for oneself; for others: a labelled role select and buttons, all plain POST forms.
    expect(item("boss@roles.test")).not.toContain('name="intent"');
    expect(item("agent@roles.test")).toContain(`<label for="role-${agent.id}">`);
    expect(item("agent@roles.test")).toContain(`<select id="role-${agent.id}" name="role">`);
    expect(item("agent@roles.test")).toMatch(/<form method="post"[^>]*>[\s\S]*value="disable"/);
    expect(item("agent@roles.test")).toContain('value="reset_totp"');
  });

  test("an admin changes a colleague's role (audited with actor and target); the new supervisor still gets 403, the new admin gets the page", async () => {
    const boss = await staff.enrol("chief@roles.test");
    const target = await staff.enrol("promoted@roles.test");
    const res = await page(await boss.c.post("/support/staff", { intent: "role", staffId: target.id, role: "supervisor" }));
    expect(res.status).toBe(200);
    expect(res.text).toContain("promoted@roles.test is now a supervisor.");
    expect(staffRow("promoted@roles.test").role).toBe("supervisor");
    expect((await target.c.get("/support/staff")).status).toBe(403);

    const bad = await page(await boss.c.post("/support/staff", { intent: "role", staffId: target.id, role: "owner" }));
    expect(bad.status).toBe(400);
    expect(staffRow("promoted@roles.test").role).toBe("supervisor");

    expect((await boss.c.post("/support/staff", { intent: "role", staffId: target.id, role: "admin" })).status).toBe(200);
    expect((await target.c.get("/support/staff")).status).toBe(200);

    const rows = auditAbout("staff_role_changed", target.id);
    expect(rows.map((r) => [r.outcome, r.actor_type, r.actor_id, r.details])).toEqual([
      ["success", "staff", boss.id, { staff_id: target.id, from: "agent", to: "supervisor", via: "console" }],
      ["failure", "staff", boss.id, { staff_id: target.id, reason: "bad-role", via: "console" }],
      ["success", "staff", boss.id, { staff_id: target.id, from: "supervisor", to: "admin", via: "console" }],
    ]);
  });

  test("an admin disables a colleague: their session ends at once and they cannot sign in; enabling lets them back; both in the staff history and the audit log", async () => {
    const head = await staff.enrol("head@roles.test");
    const off = await staff.enrol("off@roles.test");
    expect((await off.c.get("/support")).status).toBe(200);

    const res = await page(await head.c.post("/support/staff", { intent: "disable", staffId: off.id }));
    expect(res.status).toBe(200);
    expect(res.text).toContain("off@roles.test is disabled and was signed out everywhere.");
    expect(staffRow("off@roles.test").status).toBe("disabled");
    expect(probe.staffSessionsOf(off.id)).toBe(0);
    const gone = await off.c.get("/support");
    expect(gone.status).toBe(302);
    expect(gone.headers.get("location")).toBe("/support/login");
    const tryBack = await staff.trySignIn(off);
    expect(tryBack.res.status).toBe(400);

    const on = await page(await head.c.post("/support/staff", { intent: "enable", staffId: off.id }));
    expect(on.status).toBe(200);
    expect(on.text).toContain("off@roles.test is enabled and can sign in again.");
    expect(staffRow("off@roles.test").status).toBe("active");
    const back = await staff.signIn(off);
    expect((await back.c.get("/support")).status).toBe(200);

    expect(pick(probe.staffEvents(off.id), "actor", "action")).toEqual([
      { actor: `staff:${head.id}`, action: "disabled" },
      { actor: `staff:${head.id}`, action: "enabled" },
    ]);
    const disabled = auditAbout("staff_disabled", off.id);
    expect(disabled.map((r) => [r.actor_type, r.actor_id, r.details])).toEqual([["staff", head.id, { staff_id: off.id, sessions_ended: 1 }]]);
    const enabled = auditAbout("staff_enabled", off.id);
    expect(enabled.map((r) => [r.actor_type, r.actor_id, r.details])).toEqual([["staff", head.id, { staff_id: off.id, sessions_ended: 0 }]]);
  });

  test("an admin resets a colleague's authenticator: their session ends, the next sign-in sets up a new one, the old codes stop working; audited without secrets", async () => {
    const lead = await staff.enrol("lead@roles.test");
    const target = await staff.enrol("reset@roles.test");
    const oldSecret = staffRow("reset@roles.test").totp_secret;

    const res = await page(await lead.c.post("/support/staff", { intent: "reset_totp", staffId: target.id }));
    expect(res.status).toBe(200);
    expect(res.text).toContain("authenticator was reset and they were signed out");
    expect(staffRow("reset@roles.test")).toMatchObject({ totp_secret: null, totp_confirmed_at: null, totp_last_step: 0 });
    expect(probe.staffSessionsOf(target.id)).toBe(0);
    expect((await target.c.get("/support")).status).toBe(302);

    // The next sign-in goes to the set-up page with a new key.
    await app.advanceClock(30_000);
    const again = await staff.enrol("reset@roles.test");
    expect(again.secret).not.toBe(target.secret);
    expect(staffRow("reset@roles.test").totp_secret).not.toBe(oldSecret);
    expect((await again.c.get("/support")).status).toBe(200);
    const old = await staff.trySignIn({ email: target.email, secret: target.secret });
    expect(old.res.status).toBe(400);

    const rows = auditAbout("staff_authenticator_reset", target.id);
    expect(rows.map((r) => [r.outcome, r.actor_type, r.actor_id, r.details])).toEqual([
      ["success", "staff", lead.id, { staff_id: target.id, sessions_ended: 1, via: "console" }],
    ]);
    expect(JSON.stringify(rows)).not.toContain(target.secret);
  });

  test("the last active admin cannot be demoted or disabled (CLI, one line, exit 1); with a second admin both work", async () => {
    // Its own empty database: the portal of this file has several admins.
    const databaseUrl = testEngine() === "postgres" ? await testDatabaseUrl() : null;
    const env = {
      NODE_ENV: "test",
      DATABASE_PATH: path.join(tempDir(), "portal.sqlite"),
      SECRET_KEY: "test-secret-key-0123456789abcdef0123456789abcdef",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    expect((await runCli(["staff", "add", "--email", "only@roles.test", "--name", "Only", "--role", "admin"], env)).code).toBe(0);
    for (const args of [
      ["staff", "role", "--email", "only@roles.test", "--role", "agent"],
      ["staff", "disable", "--email", "only@roles.test"],
    ]) {
      const refused = await runCli(args, env);
      expect(refused.code, args.join(" ")).toBe(1);
      expect(refused.stderr.trim()).toBe("error: only@roles.test is the last active admin: make another staff member admin first");
    }
    expect((await runCli(["staff", "add", "--email", "second@roles.test", "--name", "Second", "--role", "admin"], env)).code).toBe(0);
    expect((await runCli(["staff", "role", "--email", "only@roles.test", "--role", "agent"], env)).code).toBe(0);
    const last = await runCli(["staff", "disable", "--email", "second@roles.test"], env);
    expect(last.stderr.trim()).toBe("error: second@roles.test is the last active admin: make another staff member admin first");
  });

  test("an admin cannot disable, demote or reset themselves (403 with a clear message, audited, nothing changes)", async () => {
    const me = await staff.enrol("self@roles.test");
    const disable = await page(await me.c.post("/support/staff", { intent: "disable", staffId: me.id }));
    expect(disable.status).toBe(403);
    expect(disable.text).toContain("can&#x27;t disable or enable your own account");
    const demote = await page(await me.c.post("/support/staff", { intent: "role", staffId: me.id, role: "agent" }));
    expect(demote.status).toBe(403);
    expect(demote.text).toContain("can&#x27;t change your own role");
    const reset = await page(await me.c.post("/support/staff", { intent: "reset_totp", staffId: me.id }));
    expect(reset.status).toBe(403);
    expect(reset.text).toContain("can&#x27;t reset your own authenticator");

    expect(staffRow("self@roles.test")).toMatchObject({ status: "active", role: "admin" });
    expect(staffRow("self@roles.test").totp_confirmed_at).not.toBeNull();
    expect(probe.staffSessionsOf(me.id)).toBe(1);
    expect((await me.c.get("/support/staff")).status).toBe(200);
    const refusals = [
      ...auditAbout("staff_disabled", me.id),
      ...auditAbout("staff_role_changed", me.id),
      ...auditAbout("staff_authenticator_reset", me.id),
    ].map((r) => [r.event, r.outcome, r.actor_id, r.details.reason]);
    expect(refusals).toEqual([
      ["staff_disabled", "failure", me.id, "self-disable"],
      ["staff_role_changed", "failure", me.id, "self-demote"],
      ["staff_authenticator_reset", "failure", me.id, "self-reset"],
    ]);
  });

  test("an admin invites by e-mail: a one-time set-up link (opening it changes nothing) sets the password, the authenticator is set up at the first sign-in; the link works once; a known e-mail is refused; audited", async () => {
    const inviter = await staff.enrol("inviter@roles.test");
    const sent = await page(await inviter.c.post("/support/staff", { intent: "invite", email: "Newbie@Roles.test", name: "New Bie", role: "supervisor" }));
    expect(sent.status).toBe(200);
    expect(sent.text).toContain("Invitation sent to newbie@roles.test");
    expect(staffRow("newbie@roles.test")).toMatchObject({ role: "supervisor", password_hash: null, totp_secret: null, status: "active" });
    const id = staffRow("newbie@roles.test").id;

    const m = await mail.waitFor((x) => x.to.includes("newbie@roles.test") && /set up your staff account/i.test(x.subject));
    const link = m.text.match(/https?:\/\/\S+\/support\/invite\/[A-Za-z0-9_-]+/)?.[0];
    expect(link, m.text).toBeTruthy();
    expect(m.text).toContain("inviter");
    const path = new URL(link!).pathname;

    // Opening the link (a mail scanner, twice) changes nothing; it shows the password form.
    const visitor = customer.client();
    for (let i = 0; i < 2; i++) {
      const opened = await page(await visitor.get(path));
      expect(opened.status).toBe(200);
      expect(opened.text).toContain('<label for="field-password">New password</label>');
      expect(opened.text).toContain('<label for="field-confirm">Confirm new password</label>');
    }
    expect(staffRow("newbie@roles.test").password_hash).toBeNull();
    // A wrong token is refused; a mismatch or a weak password changes nothing.
    expect((await visitor.get("/support/invite/not-a-real-token-at-all")).status).toBe(410);
    expect((await visitor.post(path, { password: STAFF_PASSWORD, confirm: "something else entirely" })).status).toBe(400);
    const weak = await page(await visitor.post(path, { password: "short", confirm: "short" }));
    expect(weak.status).toBe(400);
    expect(staffRow("newbie@roles.test").password_hash).toBeNull();

    const done = await visitor.post(path, { password: STAFF_PASSWORD, confirm: STAFF_PASSWORD });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/support/login");
    expect(staffRow("newbie@roles.test").password_hash).not.toBeNull();
    // Once only: the link is dead now, for anyone.
    expect((await customer.client().get(path)).status).toBe(410);
    expect((await customer.client().post(path, { password: "another long pass phrase here", confirm: "another long pass phrase here" })).status).toBe(410);

    // The first sign-in sets up the authenticator; the new supervisor works tickets, not the staff page.
    const newbie = await staff.enrol("newbie@roles.test");
    expect((await newbie.c.get("/support")).status).toBe(200);
    expect((await newbie.c.get("/support/staff")).status).toBe(403);

    const again = await page(await inviter.c.post("/support/staff", { intent: "invite", email: "newbie@roles.test", name: "Again", role: "agent" }));
    expect(again.status).toBe(400);
    expect(again.text).toContain("already on the staff");
    expect(staffRow("newbie@roles.test").role).toBe("supervisor");

    const invited = auditRows("staff_invited").filter((r) => r.actor_id === inviter.id);
    expect(invited.map((r) => [r.outcome, JSON.parse(r.details)])).toEqual([
      ["success", { staff_id: id, role: "supervisor", via: "console" }],
      ["failure", { reason: "exists", via: "console" }],
    ]);
    const accepted = auditAbout("staff_invite_accepted", id);
    expect(accepted.map((r) => [r.actor_type, r.actor_id])).toEqual([["staff", id]]);
    const token = path.split("/").pop()!;
    expect(JSON.stringify(probe.auditEvents({}))).not.toContain(token);
  });

  test("an admin sends an invited colleague who has no password yet a new set-up link; the earlier link stops working; audited as resent", async () => {
    const admin = await staff.enrol("resender@roles.test");
    const subjectRe = /set up your staff account/i;
    expect((await admin.c.post("/support/staff", { intent: "invite", email: "late@roles.test", name: "Late", role: "agent" })).status).toBe(200);
    const first = linkIn(await mail.waitFor((x) => x.to.includes("late@roles.test") && subjectRe.test(x.subject)), "/support/invite/");
    const id = staffRow("late@roles.test").id;
    const listed = await page(await admin.c.get("/support/staff"));
    expect(listed.text).toContain("invited, no password yet");

    const res = await page(await admin.c.post("/support/staff", { intent: "reinvite", staffId: id }));
    expect(res.status).toBe(200);
    expect(res.text).toContain("A new set-up link was sent to late@roles.test");
    await expect.poll(() => mail.to("late@roles.test").filter((x) => subjectRe.test(x.subject)).length, { timeout: 10_000 }).toBe(2);
    const second = linkIn(mail.to("late@roles.test").filter((x) => subjectRe.test(x.subject))[1], "/support/invite/");
    expect(second).not.toBe(first);

    const visitor = customer.client();
    expect((await visitor.get(new URL(first).pathname)).status).toBe(410);
    expect((await visitor.get(new URL(second).pathname)).status).toBe(200);
    expect((await visitor.post(new URL(second).pathname, { password: STAFF_PASSWORD, confirm: STAFF_PASSWORD })).status).toBe(303);
    // With a password chosen there is nothing to resend.
    const after = await page(await admin.c.post("/support/staff", { intent: "reinvite", staffId: id }));
    expect(after.text).toContain("late@roles.test has already chosen a password.");
    expect(auditAbout("staff_invited", id).map((r) => r.details)).toEqual([
      { staff_id: id, role: "agent", via: "console" },
      { staff_id: id, role: "agent", via: "console", resent: true },
    ]);
  });
});
