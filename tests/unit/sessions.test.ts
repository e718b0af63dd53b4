import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type BetterSqlite3 from "better-sqlite3";
import { migrate, openDatabase, transaction, type SqliteConnection as Connection, type Db } from "~/db/db.server";
import {
  createSession,
  deleteAllSessions,
  listSessions,
  sessionIdFromToken,
  validateSession,
} from "~/sessions/sessions.server";
import { attachAudit, audit, verifyAuditChain } from "~/audit/audit.server";

const policy = { idleMs: 15 * 60_000, absoluteMs: 8 * 3_600_000 };
const T0 = Date.UTC(2030, 0, 1);
let dir: string;
let connection: Connection;
let db: Db;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sessions-"));
  connection = openDatabase(path.join(dir, "portal.sqlite"));
  db = connection.db;
  await migrate(connection);
  await attachAudit(db, { secretKey: Buffer.from("unit-test-secret-key-0123456789abcdef") });
});
afterAll(async () => {
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Looks at the file directly, as an operator with raw access would, holding the connection. */
const raw = <T>(fn: (r: BetterSqlite3.Database) => T): Promise<T> => connection.exclusive(async () => fn(connection.raw));
const count = () => raw((r) => (r.prepare("SELECT COUNT(*) AS n FROM sessions").get() as { n: number }).n);
let subjects = 0;
const subject = () => ({ type: "user" as const, id: `user-${++subjects}` });

describe("sessions", () => {
  test("SES-06: 1000 tokens are unique, opaque id.secret pairs of 24 base32 characters (120 bits each)", async () => {
    const tokens = new Set<string>();
    const ids = new Set<string>();
    const s = { type: "user" as const, id: "alice-user-id-with-personal-data@example.test" };
    await transaction(db, async (trx) => {
      for (let i = 0; i < 1000; i++) {
        const { token, session } = await createSession(trx, s, T0, policy);
        expect(token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{24}$/);
        expect(sessionIdFromToken(token)).toBe(session.id);
        tokens.add(token);
        ids.add(session.id);
      }
    });
    expect(tokens.size).toBe(1000);
    expect(ids.size).toBe(1000);
    // No personal data: the subject id never appears in a token, and the secret is not stored.
    for (const t of tokens) expect(t).not.toContain("alice");
    const row = await raw((r) => r.prepare("SELECT * FROM sessions LIMIT 1").get() as Record<string, unknown>);
    const token = [...tokens].find((t) => t.startsWith(`${row.id as string}.`))!;
    const secret = token.split(".")[1];
    expect(JSON.stringify(Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : v)))).not.toContain(secret);
    expect(await deleteAllSessions(db, s)).toBe(1000);
  });

  test("a fresh token validates to its session", async () => {
    const s = subject();
    const { token, session } = await createSession(db, s, T0, policy);
    const found = await validateSession(db, token, T0 + 1000, policy);
    expect(found).toMatchObject({ id: session.id, subject_type: "user", subject_id: s.id, absolute_expires_at: T0 + policy.absoluteMs });
    expect(found).not.toHaveProperty("secret_hash");
  });

  test("SES-04: unknown, forged and malformed tokens are null and create no row", async () => {
    const { token } = await createSession(db, subject(), T0, policy);
    const before = await count();
    const [id, secret] = token.split(".");
    const other = "abcdefghijklmnopqrstuvwx";
    const forged = [
      `${other}.${other}`, // well-formed, never issued
      `${id}.${other}`, // real id, wrong secret
      `${id}.${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`, // one character off
      `${other}.${secret}`, // real secret under another id
      id, // id alone
      `${id}.${secret}.x`,
      `${id.toUpperCase()}.${secret.toUpperCase()}`,
      "",
      "' OR 1=1 --",
    ];
    for (const t of forged) expect(await validateSession(db, t, T0 + 1000, policy), t).toBeNull();
    expect(await count()).toBe(before);
    // The genuine token still works: the forged attempts did not damage it.
    expect(await validateSession(db, token, T0 + 1000, policy)).not.toBeNull();
  });

  test("SES-07: idle timeout ends the session and deletes the row", async () => {
    const { token, session } = await createSession(db, subject(), T0, policy);
    expect(await validateSession(db, token, T0 + policy.idleMs - 1, policy)).not.toBeNull();
    // That use slid the idle window.
    const slid = T0 + policy.idleMs - 1;
    expect(await validateSession(db, token, slid + policy.idleMs - 1, policy)).not.toBeNull();
    const last = slid + policy.idleMs - 1;
    expect(await validateSession(db, token, last + policy.idleMs, policy)).toBeNull();
    expect(await raw((r) => r.prepare("SELECT 1 FROM sessions WHERE id = ?").get(session.id))).toBeUndefined();
    // Once gone it stays gone, even at an earlier time.
    expect(await validateSession(db, token, T0 + 1, policy)).toBeNull();
  });

  test("SES-07: idle+1 s without activity is refused", async () => {
    const { token } = await createSession(db, subject(), T0, policy);
    expect(await validateSession(db, token, T0 + policy.idleMs + 1000, policy)).toBeNull();
  });

  test("SES-07: absolute timeout holds even with constant activity", async () => {
    const { token, session } = await createSession(db, subject(), T0, policy);
    let now = T0;
    const step = 10 * 60_000;
    while (now + step < T0 + policy.absoluteMs) {
      now += step;
      expect(await validateSession(db, token, now, policy), `at +${(now - T0) / 60_000} min`).not.toBeNull();
    }
    expect(await validateSession(db, token, T0 + policy.absoluteMs - 1, policy)).not.toBeNull();
    expect(await validateSession(db, token, T0 + policy.absoluteMs + 1000, policy)).toBeNull();
    expect(await raw((r) => r.prepare("SELECT 1 FROM sessions WHERE id = ?").get(session.id))).toBeUndefined();
  });

  test("SES-02: deleteAllSessions ends every session of one subject (optionally but one) and no other", async () => {
    const a = subject();
    const b = subject();
    const a1 = await createSession(db, a, T0, policy);
    const a2 = await createSession(db, a, T0, policy);
    const a3 = await createSession(db, a, T0, policy);
    const b1 = await createSession(db, b, T0, policy);
    expect(await listSessions(db, a)).toHaveLength(3);

    expect(await deleteAllSessions(db, a, a3.session.id)).toBe(2);
    expect(await validateSession(db, a1.token, T0 + 1, policy)).toBeNull();
    expect(await validateSession(db, a2.token, T0 + 1, policy)).toBeNull();
    expect(await validateSession(db, a3.token, T0 + 1, policy)).not.toBeNull();

    expect(await deleteAllSessions(db, a)).toBe(1);
    expect(await validateSession(db, a3.token, T0 + 1, policy)).toBeNull();
    expect(await listSessions(db, a)).toHaveLength(0);
    // Another subject's session is untouched, including a staff subject with the same id.
    expect(await deleteAllSessions(db, { type: "staff", id: b.id })).toBe(0);
    expect(await validateSession(db, b1.token, T0 + 1, policy)).not.toBeNull();
  });
});

describe("audit chain", () => {
  test("verifyAuditChain accepts an intact chain and finds a tampered row", async () => {
    const start = await raw((r) => (r.prepare("SELECT COUNT(*) AS n FROM audit_events").get() as { n: number }).n);
    for (let i = 0; i < 5; i++) {
      await audit(db, T0 + i, { event: "sign_in", outcome: "success", actorType: "user", actorId: "u1", userId: "u1", details: { i } });
    }
    const intact = await verifyAuditChain(db);
    expect(intact).toMatchObject({ ok: true, count: start + 5 });

    // The table refuses edits and deletes outright.
    await expect(raw((r) => r.prepare("UPDATE audit_events SET outcome = 'failure'").run())).rejects.toThrow(/append-only/);
    await expect(raw((r) => r.prepare("DELETE FROM audit_events").run())).rejects.toThrow(/append-only/);

    // Someone with raw file access drops the trigger and edits one row: the chain shows it.
    const target = await raw((r) => (r.prepare("SELECT seq FROM audit_events ORDER BY seq LIMIT 1 OFFSET ?").get(start + 2) as { seq: number }).seq);
    await raw((r) => {
      r.exec("DROP TRIGGER audit_no_update");
      r.prepare("UPDATE audit_events SET outcome = 'failure' WHERE seq = ?").run(target);
    });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, seq: target, count: start + 3 });
  });
});
