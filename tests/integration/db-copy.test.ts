import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addAccounts, RELAXED_LIMITS, runCli, startApp, type TestApp } from "../helpers/app";
import { customers, type World } from "../helpers/customer";
import { Client } from "../helpers/http";
import { engineEnv, probesAt } from "../helpers/probes";
import { startPostgres, testEngine, type PostgresCluster } from "../helpers/postgres";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { passkeySignIn, addPasskey, SoftPasskey } from "../helpers/webauthn";

/**
 * Moving up: `npm run portal -- db copy --to postgres://…` copies a SQLite deployment, made by
 * using the product (resets, sign-ins, a passkey, recovery codes, a ticket, staff, a lock), into an
 * empty PostgreSQL database; `audit verify` passes on the copy, and a portal started on the copy
 * accepts the same passwords, the same session cookie and the same passkey.
 *
 * Engine-specific: the source of a copy is always SQLite, so this file runs in the SQLite
 * project (in integration-pg, startApp would put the source on PostgreSQL too) and starts a
 * PostgreSQL cluster of its own for the target.
 */

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";
const email = (u: string) => `${u}@example.test`;
const ENV = { ...RELAXED_LIMITS, SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24", LOCKOUT_TEMPORARY_AFTER: "3", LOCKOUT_DELAY_AFTER: "5" };

const world: { app?: TestApp; mail?: SmtpSink } = {};
const customer = customers(() => world as World, { ip: "10.61" });
let cluster: PostgresCluster | undefined;
let copyApp: TestApp | undefined;

describe.runIf(testEngine() === "sqlite")("db copy: SQLite deployment to PostgreSQL", () => {
  beforeAll(async () => {
    [cluster, world.mail] = await Promise.all([startPostgres({ maxConnections: 40 }), startSmtpSink()]);
    world.app = await startApp({ smtpUrl: world.mail.url, env: ENV });
    await addAccounts(world.app, [{ username: "copyann", password: PASSWORD }, { username: "copybob" }, { username: "copycid", password: PASSWORD }]);
  }, 120_000);

  afterAll(async () => {
    await copyApp?.stop();
    await world.app?.stop();
    await world.mail?.close();
    await cluster?.stop();
  });

  test("copies every table with its rows, the audit chain verifies on the copy, and a portal on the copy takes the same password, session and passkey", async () => {
    const source = world.app!;
    const key = new SoftPasskey(source.origin);

    // Real data, made through the product.
    await customer.resetPassword("copybob", email("copybob"), NEW_PASSWORD);
    // Requests left pending: their browsers' holds (recovery_sessions, a WITHOUT ROWID table read
    // by its key, migration 0025) fill more than one batch.
    for (const who of ["copycid", "copy-nobody-1", "copy-nobody-2", "copy-nobody-3"]) expect((await customer.requestReset(who)).status).toBe(303);
    const ann = await customer.signedIn("copyann", PASSWORD);
    const added = await addPasskey(ann, ann, key);
    expect(added, JSON.stringify(added.json)).toMatchObject({ status: 200, json: { ok: true } });
    const codes = await customer.createRecoveryCodes(ann);
    expect(codes.codes).toHaveLength(10);
    const ticket = await customer.submitTicket(customer.ticketForm({ accountHint: "copycid" }));
    expect(ticket.reference).toMatch(/^AR-/);
    expect((await source.cli(["staff", "add", "--email", "agent@copy.test", "--name", "Agent", "--password-stdin"], "staff pass words here ok\n")).code).toBe(0);
    for (let i = 1; i <= 3; i++) expect((await customer.signIn("copycid", `wrong guess number ${i}`)).status).toBe(400);
    const bob = await customer.signedIn("copybob", NEW_PASSWORD);
    await source.stop();

    const src = probesAt(source.dbPath);
    const tables = src.tableNames().filter((t) => !t.startsWith("sqlite_") && t !== "schema_migrations");
    const counts = src.rowCounts(tables);
    expect(counts.audit_events).toBeGreaterThan(3 * 3);
    for (const t of ["users", "password_history", "sessions", "recovery_flows", "passkeys", "recovery_codes", "tickets", "ticket_events", "report_tokens", "staff", "account_locks", "audit_events", "outbox", "rate_limits", "recovery_networks", "recovery_sessions", "sign_in_failures"]) {
      expect(counts[t], `${t} has rows to copy`).toBeGreaterThan(0);
    }
    const annId = src.userRow("copyann")!.id;
    const passkeyBefore = src.passkeysOf(annId)[0]!;
    const chainBefore = src.auditEvents().map((e) => [e.seq, e.hash]);
    src.close();

    const target = await cluster!.createDatabase();
    const sourceEnv = engineEnv(source.env, source.dbPath);
    // Small batches, so that most tables take several (the default is 500 rows).
    const copied = await runCli(["db", "copy", "--to", target, "--batch-rows", "3"], sourceEnv);
    expect(copied.stderr).toBe("");
    expect(copied.code).toBe(0);
    // One line per table with its row count, parents before children.
    const printed = Object.fromEntries(copied.stdout.trim().split("\n").slice(0, -1).map((l) => l.split("\t")).map(([t, n]) => [t, Number(n)]));
    expect(printed).toEqual(counts);
    const order = Object.keys(printed);
    expect(order.indexOf("users")).toBeLessThan(order.indexOf("passkeys"));
    expect(order.indexOf("tickets")).toBeLessThan(order.indexOf("ticket_events"));
    expect(order.indexOf("staff")).toBeLessThan(order.indexOf("staff_events"));

    const dst = probesAt(target);
    expect(dst.rowCounts(tables)).toEqual(counts);
    expect(dst.auditEvents().map((e) => [e.seq, e.hash])).toEqual(chainBefore);
    // BLOB to bytea: the same bytes.
    const passkeyAfter = dst.passkeysOf(annId)[0]!;
    expect(Buffer.from(passkeyAfter.public_key as Uint8Array).equals(Buffer.from(passkeyBefore.public_key as Uint8Array))).toBe(true);

    const targetEnv = engineEnv(source.env, target);
    const verified = await runCli(["audit", "verify"], targetEnv);
    expect(verified.stderr).toBe("");
    expect(verified.stdout.trim()).toBe(`audit chain intact: ${chainBefore.length} events`);

    // A second copy into a database that has rows is refused with one line, and changes nothing.
    const again = await runCli(["db", "copy", "--to", target], sourceEnv);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);
    expect(again.stderr).toMatch(/^error: the target database is not empty/);
    expect(dst.rowCounts(tables)).toEqual(counts);
    // The source of a copy is the SQLite file: with DATABASE_URL set, the command says so.
    const fromPostgres = await runCli(["db", "copy", "--to", target], targetEnv);
    expect(fromPostgres.code).toBe(1);
    expect(fromPostgres.stderr).toMatch(/^error: db copy reads the SQLite database/);
    dst.close();

    // A portal on the copy: same passwords, same session cookie, same passkey, new rows after the old ones.
    copyApp = await startApp({ smtpUrl: world.mail!.url, env: { ...ENV, DATABASE_URL: target } });
    world.app = copyApp;
    const onCopy = (c: Client) => {
      const moved = new Client(copyApp!.origin, c.defaults);
      moved.cookies = c.cookies;
      return moved;
    };
    expect(await customer.isSignedIn(onCopy(bob))).toBe(true);
    expect(await customer.isSignedIn(onCopy(ann))).toBe(true);
    await customer.signedIn("copybob", NEW_PASSWORD);
    // The passkey signs in on the copy (the portal's origin changed with its port; the RP ID did not).
    key.origin = copyApp.origin;
    const fresh = customer.client();
    expect(await passkeySignIn(fresh, fresh, key)).toMatchObject({ status: 200, json: { ok: true, redirect: "/account" } });
    // The lock came across: the right password is still refused.
    expect((await customer.signIn("copycid", PASSWORD)).status).toBe(400);
    // New rows continue after the copied ones (identity sequences moved past them).
    const ticket2 = await customer.submitTicket(customer.ticketForm({ accountHint: "copyann" }));
    expect(ticket2.reference).toMatch(/^AR-/);
    const after = probesAt(target);
    // (PostgreSQL may leave gaps in seq after a rolled-back transaction; never a collision.)
    const newRows = after.auditEvents({ afterSeq: chainBefore.length });
    expect(newRows.length).toBeGreaterThan(0);
    expect(after.auditCount()).toBe(chainBefore.length + newRows.length);
    after.close();
    const reverified = await runCli(["audit", "verify"], targetEnv);
    expect(reverified.stdout).toMatch(/^audit chain intact: \d+ events/);
    expect(Number(/(\d+) events/.exec(reverified.stdout)![1])).toBeGreaterThan(chainBefore.length);
  }, 180_000);
});
