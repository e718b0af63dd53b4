import crypto from "node:crypto";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { RELAXED_LIMITS, runCli } from "../helpers/app";
import { customers } from "../helpers/customer";
import { usePortal } from "../helpers/portal";
import { engineEnv, probesAt, releaseProbes, type AuditRow } from "../helpers/probes";

/**
 * The audit chain (review finding L6; SECURITY.md LOG-01; docs/decisions/0007-audit-chain.md),
 * attacked the way the review's black-box test does: on the portal's real database file, the
 * append-only triggers dropped, rows edited, re-hashed or deleted (tests/helpers/probes.ts), and
 * the operator's `npm run portal -- audit verify` run afterwards.
 */

const USERS = ["audita", "auditb", "auditc", "auditd", "audite", "auditf"];
const { app, probe } = usePortal({ env: { ...RELAXED_LIMITS }, mail: false, accounts: USERS.map((username) => ({ username })) });

const { client } = customers(() => ({ app }), { ip: "10.66" });

/** The unkeyed hash the chain used before the fix: what an attacker without SECRET_KEY can compute. */
function plainSha256(prev: string, r: AuditRow): string {
  const fields = [prev, r.at, r.event, r.outcome, r.actor_type, r.actor_id, r.user_id, r.ip, r.user_agent, r.details];
  return crypto.createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}

/** A consistent copy of the live database (a file, or on PostgreSQL a database), to tamper with. */
const copyOfDatabase = (name: string) => probe.copyTo(path.join(app.dir, `${name}.sqlite`));

const verifyOn = (file: string, extra: string[] = []) => runCli(["audit", "verify", ...extra], engineEnv(app.env, file));

describe("L6 audit chain", () => {
  test("L6 LOG-01 CLI and server appending concurrently never fork the chain", async () => {
    const before = probe.auditCount();
    // Six operator commands (each appends from its own process) while the server records a
    // steady stream of recovery requests and failed sign-ins from many clients.
    let cliDone = false;
    const cli = Promise.all([
      app.cli(["user", "disable", "audita"]),
      app.cli(["user", "disable", "auditb"]),
      app.cli(["user", "disable", "auditc"]),
      app.cli(["user", "enable", "auditd"]),
      app.cli(["staff", "add", "--email", "audit-agent@staff.test", "--name", "Audit Agent"]),
      app.cli(["user", "disable", "audite"]),
    ]).finally(() => (cliDone = true));
    const statuses: number[] = [];
    const server = (async () => {
      let i = 0;
      while (!cliDone) {
        const batch = Array.from({ length: 4 }, () => {
          const u = USERS[i++ % USERS.length];
          return i % 2 === 0
            ? client().post("/forgot-password", { identifier: u })
            : client().post("/login", { identifier: u, password: "not the password at all" });
        });
        for (const res of await Promise.all(batch)) {
          statuses.push(res.status);
          await res.arrayBuffer();
        }
      }
    })();
    const results = await cli;
    await server;
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);

    const after = probe.auditCount();
    expect(after - before).toBeGreaterThanOrEqual(6 + Math.floor(statuses.length / 4));
    // A fork is two rows that name the same predecessor.
    expect(probe.auditChainForks()).toEqual([]);
    // The CLI's rows are on the same keyed chain as the server's.
    const operatorRows = probe.auditEvents({ actorType: "operator", afterSeq: before });
    expect(operatorRows.length).toBeGreaterThanOrEqual(6);
    expect(new Set(operatorRows.map((r) => r.alg))).toEqual(new Set(["hmac-sha256"]));

    const verify = await app.cli(["audit", "verify"]);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    expect(verify.stdout.trim()).toBe(`audit chain intact: ${after} events`);
  }, 120_000);

  test("L6 LOG-01 the audit chain is keyed: a row edited and re-hashed with plain SHA-256 fails verify", async () => {
    const file = await copyOfDatabase("tampered");
    const clean = await verifyOn(file);
    expect(clean.code, clean.stderr).toBe(0);

    // The attacker hides that an operator disabled "audita": rewrites the row and recomputes the
    // chain from there on, exactly as the unkeyed chain allowed.
    const copy = probesAt(file);
    const target = copy.auditEvents({ event: "account_disabled" })[0];
    expect(target).toBeDefined();
    copy.dropAuditTriggers("audit_no_update", "audit_no_delete");
    const enable = (r: AuditRow) => void (r.seq === target.seq && (r.event = "account_enabled"));

    copy.rechainAudit(plainSha256, { from: target.seq, edit: enable });
    const edited = await verifyOn(file);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(new RegExp(`^error: audit chain broken at event ${target.seq}\\b`));

    // Marking every row as written before the upgrade (plain SHA-256 rows) does not help either.
    copy.rechainAudit(plainSha256, { edit: enable, alg: "sha256" });
    const relabelled = await verifyOn(file);
    expect(relabelled.code).toBe(1);
    expect(relabelled.stderr).toMatch(/^error: audit chain broken at event \d+/);
    copy.close();
  }, 60_000);

  test("L6 LOG-01 a log chained with plain SHA-256 before the upgrade verifies after migrate, pinned by a keyed row", async () => {
    // Put a copy back into the state of a database written before migration 0009.
    const file = await copyOfDatabase("legacy");
    const copy = probesAt(file);
    copy.dropAuditTriggers("audit_no_update");
    const rows = copy.rechainAudit(plainSha256);
    const prev = rows.at(-1)!.hash;
    copy.unapplyAuditKeyMigration();

    const env = engineEnv(app.env, file);
    const migrated = await runCli(["migrate"], env);
    expect(migrated.stdout.trim()).toBe("applied 0009_audit_hmac.sql");
    const ok = await verifyOn(file);
    expect(ok.stderr).toBe("");
    expect(ok.stdout.trim()).toBe(`audit chain intact: ${rows.length + 1} events`);
    const marker = copy.lastAuditEvent()!;
    expect(marker).toMatchObject({ event: "audit_chain_keyed", alg: "hmac-sha256", prev_hash: prev });
    expect(JSON.parse(marker.details)).toMatchObject({ legacy_rows: rows.length });

    // An old row edited and the plain chain recomputed up to the marker: the marker no longer links.
    const victim = rows[Math.floor(rows.length / 2)];
    copy.rechainAudit(plainSha256, {
      from: victim.seq,
      through: rows.at(-1)!.seq,
      edit: (r) => void (r.seq === victim.seq && (r.outcome = r.outcome === "success" ? "failure" : "success")),
    });
    copy.close();
    const pinned = await verifyOn(file);
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toMatch(new RegExp(`^error: audit chain broken at event ${marker.seq}: does not link`));
  }, 60_000);

  test("L6 LOG-01 deleting the newest rows is caught by verify --since-checkpoint", async () => {
    // A clean shutdown logs the head as a checkpoint (so does every 1000th event).
    await app.stop();
    const checkpoints = app
      .logs()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "audit_checkpoint");
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const last = checkpoints.at(-1)!;
    const head = probe.lastAuditEvent()!;
    const n = probe.auditCount();
    expect(last).toMatchObject({ seq: head.seq, head: head.hash, count: n, checkpoint: `${head.seq}:${head.hash}` });

    const intact = await app.cli(["audit", "verify", "--since-checkpoint", String(last.checkpoint)]);
    expect(intact.stderr).toBe("");
    expect(intact.stdout.trim()).toBe(`audit chain intact: ${n} events (checkpoint ${head.seq} present)`);

    // The review's attack: drop the trigger and delete the newest ten rows. Nothing needs re-hashing.
    probe.dropAuditTriggers("audit_no_delete");
    probe.deleteAuditEventsAfter(head.seq - 10);
    releaseProbes(app.databaseUrl ?? app.dbPath);

    const truncated = await app.cli(["audit", "verify", "--since-checkpoint", String(last.checkpoint)]);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(new RegExp(`^error: audit chain broken at event ${head.seq}: missing: the log ends at event ${head.seq - 10} `));
    // A malformed checkpoint is a usage error, not a pass.
    const bad = await app.cli(["audit", "verify", "--since-checkpoint", "12:nothex"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since-checkpoint must be SEQ:HASH/);
  }, 60_000);
});
