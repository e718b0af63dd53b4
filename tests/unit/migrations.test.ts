import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { migrateSync, migrationFiles, migrationsDir } from "~/db/migrations.server";
import { toPostgres } from "~/db/postgres.server";

/** A new SQLite database with every migration numbered before `version` applied; `done` removes it. */
function databaseBefore(version: string): { db: Database.Database; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-migrations-"));
  const before = path.join(dir, "before");
  fs.mkdirSync(before);
  for (const f of migrationFiles().filter((f) => f < version)) fs.copyFileSync(path.join(migrationsDir(), f), path.join(before, f));
  const db = new Database(path.join(dir, "portal.sqlite"));
  db.pragma("foreign_keys = ON");
  migrateSync(db, before);
  return {
    db,
    done() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Migrations carry a deployment's data forward (issue 11: the dead-schema rebuild, 0011). */
describe("migrations", () => {
  test("0011 keeps every hold and contact change, drops only the dead 'completed' state and the unused link column", () => {
    const { db, done } = databaseBefore("0011");
    db.prepare("INSERT INTO users (id, username, email, password_hash, created_at) VALUES ('u1', 'mig', 'mig@example.test', 'x', 1)").run();
    db.prepare(
      "INSERT INTO recovery_flows (id, purpose, identifier_key, user_id, channel, created_at, expires_at, code_expires_at, last_sent_at) VALUES ('f1', 'reset', 'k', 'u1', 'email', 1, 2, 2, 1)",
    ).run();
    const hold = db.prepare("INSERT INTO recovery_sessions (id, secret_hash, flow_id, state, created_at, expires_at) VALUES (?, x'00', 'f1', ?, 1, 2)");
    hold.run("h1", "verified");
    hold.run("h2", "completed");
    db.prepare(
      "INSERT INTO contact_changes (id, user_id, kind, new_value, code_hash, link_token_hash, attempts, created_at, expires_at) VALUES ('c1', 'u1', 'email', 'new@example.test', 'h', NULL, 2, 1, 2)",
    ).run();

    expect(migrateSync(db)).toEqual(migrationFiles().filter((f) => f >= "0011"));
    expect(db.prepare("SELECT id, state FROM recovery_sessions").all()).toEqual([{ id: "h1", state: "verified" }]);
    expect(db.prepare("SELECT id, new_value, attempts, status FROM contact_changes").all()).toEqual([
      { id: "c1", new_value: "new@example.test", attempts: 2, status: "pending" },
    ]);
    const columns = (db.prepare("PRAGMA table_info(contact_changes)").all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain("link_token_hash");
    expect(() => hold.run("h3", "completed")).toThrow(/CHECK/);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    done();
  });

  test("0012 gives password history a key that keeps the order the hashes were stored in", () => {
    const { db, done } = databaseBefore("0012");
    db.prepare("INSERT INTO users (id, username, email, password_hash, created_at) VALUES ('u1', 'mig', 'mig@example.test', 'x', 1)").run();
    const add = db.prepare("INSERT INTO password_history (user_id, password_hash, created_at) VALUES ('u1', ?, 5)");
    for (const hash of ["first", "second", "third"]) add.run(hash);

    expect(migrateSync(db)).toContain("0012_password_history_order.sql");
    expect(db.prepare("SELECT password_hash FROM password_history ORDER BY created_at DESC, id DESC").all()).toEqual([
      { password_hash: "third" },
      { password_hash: "second" },
      { password_hash: "first" },
    ]);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    done();
  });

  test("code older than its database refuses to migrate it, in one line that says what to do", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-migrations-"));
    const db = new Database(path.join(dir, "portal.sqlite"));
    migrateSync(db);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9998, '9998_from_the_future.sql', 'x')").run();
    expect(() => migrateSync(db)).toThrow(/^the database has migration 9998_from_the_future\.sql, which this code does not know \(it knows up to \d{4}_\w+\.sql\): run the newer version of the portal$/);
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("0024 and 0025 keep every limit, hold and network row, store those three tables without a rowid, and keep the cascade from a flow to its holds", () => {
    const { db, done } = databaseBefore("0024");
    db.prepare("INSERT INTO recovery_flows (id, purpose, identifier_key, channel, created_at, expires_at, code_expires_at, last_sent_at) VALUES ('f1', 'reset', 'k', 'email', 1, 2, 2, 1)").run();
    db.prepare("INSERT INTO recovery_sessions (id, secret_hash, flow_id, state, created_at, expires_at) VALUES ('h1', x'0102', 'f1', 'verified', 1, 2)").run();
    db.prepare("INSERT INTO rate_limits (key, points, expire) VALUES ('recovery_per_ip:reset:x', 3, 9)").run();
    db.prepare("INSERT INTO recovery_networks (user_id, network_hash, last_seen) VALUES ('u1', 'n1', 5)").run();

    expect(migrateSync(db)).toEqual(migrationFiles().filter((f) => f >= "0024"));
    const withoutRowid = db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND wr = 1 ORDER BY name").all();
    expect(withoutRowid).toEqual([{ name: "rate_limits" }, { name: "recovery_networks" }, { name: "recovery_sessions" }]);
    expect(db.prepare("SELECT id, hex(secret_hash) AS secret, flow_id, state FROM recovery_sessions").all()).toEqual([{ id: "h1", secret: "0102", flow_id: "f1", state: "verified" }]);
    expect(db.prepare("SELECT * FROM rate_limits").all()).toEqual([{ key: "recovery_per_ip:reset:x", points: 3, expire: 9 }]);
    expect(db.prepare("SELECT * FROM recovery_networks").all()).toEqual([{ user_id: "u1", network_hash: "n1", last_seen: 5 }]);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name IN ('recovery_flows', 'recovery_sessions') ORDER BY name").all();
    expect(indexes).toEqual([{ name: "recovery_flows_created" }, { name: "recovery_flows_user" }, { name: "recovery_sessions_flow" }]);
    db.prepare("DELETE FROM recovery_flows WHERE id = 'f1'").run();
    expect(db.prepare("SELECT count(*) AS n FROM recovery_sessions").get()).toEqual({ n: 0 });
    expect(db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
    done();
  });

  test("PostgreSQL reads the same files with SQLite's four spellings rewritten", () => {
    expect(toPostgres("seq INTEGER PRIMARY KEY AUTOINCREMENT,\n at INTEGER NOT NULL, key BLOB")).toBe(
      "seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n at BIGINT NOT NULL, key BYTEA",
    );
    const trigger = toPostgres("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;");
    expect(trigger).toContain("CREATE OR REPLACE FUNCTION portal_refuse_change()");
    expect(trigger).toContain("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE FUNCTION portal_refuse_change('audit_events is append-only');");
    // Every shipped migration translates to text without SQLite-only words left in it, or has
    // PostgreSQL's own file (migrations/postgres/), which is run as it is.
    for (const f of migrationFiles()) {
      const own = path.join(migrationsDir(), "postgres", f);
      const text = (fs.existsSync(own) ? fs.readFileSync(own, "utf8") : toPostgres(fs.readFileSync(path.join(migrationsDir(), f), "utf8"))).replace(/--.*$/gm, "");
      expect(text, f).not.toMatch(/\b(AUTOINCREMENT|BLOB|RAISE\(ABORT|rowid)\b/i);
    }
  });
});
