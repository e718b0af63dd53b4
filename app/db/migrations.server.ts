import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Database from "better-sqlite3";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Finds migrations/ whether we run from source (app/db) or from the Remix bundle (build/). */
export function migrationsDir(): string {
  const candidates = [
    path.resolve(here, "../../migrations"),
    path.resolve(here, "../migrations"),
    path.resolve(process.cwd(), "migrations"),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error("migrations folder not found");
  return found;
}

/** The migration files, in the order they apply. */
export function migrationFiles(dir = migrationsDir()): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/**
 * Code older than its database must not run on it: it would not know the newer columns' rules
 * (and a later `migrate` from the old code would do nothing). One line says what to do.
 */
export function refuseNewerDatabase(applied: readonly { version: number; name: string }[], files: readonly string[]): void {
  const known = new Set(files.map((f) => Number(f.slice(0, 4))));
  const unknown = applied.filter((r) => !known.has(Number(r.version))).sort((a, b) => Number(b.version) - Number(a.version));
  if (unknown.length > 0) {
    const newest = files.at(-1) ?? "none";
    throw new DatabaseNewerThanCode(
      `the database has migration ${unknown[0]!.name}, which this code does not know (it knows up to ${newest}): run the newer version of the portal`,
    );
  }
}

export class DatabaseNewerThanCode extends Error {
  override name = "DatabaseNewerThanCode";
}

/**
 * Applies every migrations/NNNN_name.sql not yet recorded, each in its own transaction.
 * Runs on the raw handle, before the portal serves anything, because a migration file holds several
 * statements and Kysely runs one at a time (docs/decisions/0010).
 */
export function migrateSync(db: Database.Database, dir = migrationsDir()): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const rows = db.prepare("SELECT version, name FROM schema_migrations").all() as { version: number; name: string }[];
  const files = migrationFiles(dir);
  refuseNewerDatabase(rows, files);
  const applied = new Set(rows.map((r) => r.version));
  const done: string[] = [];
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    if (applied.has(version)) continue;
    const sql = fs.readFileSync(path.join(dir, file), "utf8");
    db.transaction(() => {
      db.exec(sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        version,
        file,
        new Date().toISOString(),
      );
    }).immediate();
    done.push(file);
  }
  return done;
}
