import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { migrateSync, migrationsDir } from "~/db/migrations.server";

/** Migrations carry a deployment's data forward (issue 11: the dead-schema rebuild, 0011). */
describe("migrations", () => {
  test("0011 keeps every hold and contact change, drops only the dead 'completed' state and the unused link column", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-migrations-"));
    const before = path.join(dir, "before");
    fs.mkdirSync(before);
    for (const f of fs.readdirSync(migrationsDir()).filter((f) => f < "0011")) fs.copyFileSync(path.join(migrationsDir(), f), path.join(before, f));
    const db = new Database(path.join(dir, "portal.sqlite"));
    db.pragma("foreign_keys = ON");
    migrateSync(db, before);
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

    expect(migrateSync(db)).toEqual(["0011_drop_dead_states.sql"]);
    expect(db.prepare("SELECT id, state FROM recovery_sessions").all()).toEqual([{ id: "h1", state: "verified" }]);
    expect(db.prepare("SELECT id, new_value, attempts, status FROM contact_changes").all()).toEqual([
      { id: "c1", new_value: "new@example.test", attempts: 2, status: "pending" },
    ]);
    const columns = (db.prepare("PRAGMA table_info(contact_changes)").all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain("link_token_hash");
    expect(() => hold.run("h3", "completed")).toThrow(/CHECK/);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
