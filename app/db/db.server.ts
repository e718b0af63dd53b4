import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely } from "kysely";
import { migrateSync } from "./migrations.server";
import type { Database } from "./schema";
import { PortalSqliteDialect, SqliteLock, type LockOptions } from "./sqlite-driver.server";

export type { Database } from "./schema";
export { migrationsDir } from "./migrations.server";

/**
 * The portal's data handle. Stores take it as their first argument; inside a transaction they are
 * handed the transaction instead (a Kysely `Transaction` is a `Kysely`), so one signature serves
 * both and a store never opens a transaction of its own inside someone else's.
 */
export type Db = Kysely<Database>;

export type Connection = {
  db: Db;
  /** The better-sqlite3 handle, for what Kysely cannot carry: migrations and the limiter's store. */
  raw: BetterSqlite3.Database;
  /** Runs a job on the raw handle while holding the connection, so it never lands inside a transaction. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** `exclusive`, with the job in one write transaction on the raw handle (one commit for all of it). */
  rawTransaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/** Opens the portal's single SQLite file with the settings every process (server, CLI, worker) needs. */
export function openDatabase(file: string, options: { readonly?: boolean; lock?: LockOptions } = {}): Connection {
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  // WAL lets the CLI write while the server runs; busy_timeout covers the short write overlap.
  if (!options.readonly) raw.pragma("journal_mode = WAL");
  raw.pragma("foreign_keys = ON");
  raw.pragma("busy_timeout = 5000");
  raw.pragma("synchronous = NORMAL");
  const lock = new SqliteLock(options.lock);
  const db = new Kysely<Database>({ dialect: new PortalSqliteDialect(raw, lock) });
  registry.locks.set(db, lock);
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await lock.acquire();
    try {
      return await lock.hold(fn);
    } finally {
      release();
    }
  };
  const cached = withStatementCache(raw);
  return {
    db,
    raw: cached,
    exclusive,
    rawTransaction: (fn) =>
      exclusive(async () => {
        cached.prepare("BEGIN IMMEDIATE").run();
        try {
          const result = await fn();
          cached.prepare("COMMIT").run();
          return result;
        } catch (error) {
          if (raw.inTransaction) cached.prepare("ROLLBACK").run();
          throw error;
        }
      }),
    close: () => db.destroy(),
  };
}

/**
 * The raw handle with `prepare` cached by SQL text. rate-limiter-flexible prepares its statements
 * on every call, four times per reset request; the cache makes that a map lookup.
 */
function withStatementCache(raw: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= 200) cache.clear();
      stmt = raw.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  return new Proxy(raw, {
    get(target, property) {
      if (property === "prepare") return prepare;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Applies the migrations not yet applied; returns their file names. */
export async function migrate(connection: Connection): Promise<string[]> {
  return connection.exclusive(async () => migrateSync(connection.raw));
}

/**
 * Runs `work` in one transaction, or inside the caller's when `db` already is one. Only database
 * work belongs in `work`: hash passwords, render messages and call the network before or after.
 */
export function transaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  const lock = registry.locks.get(db);
  return db.transaction().execute((trx) => {
    registry.roots.set(trx, db);
    return lock ? lock.hold(() => work(trx)) : work(trx);
  });
}

/** The root handle a transaction was opened on (the handle itself when it is a root). */
export function rootOf(db: Db): Db {
  return registry.roots.get(db) ?? db;
}

// Which lock guards a root handle (so a transaction body can be marked as holding it), and which
// root a transaction came from. server.ts and the Remix bundle each load their own copy of this
// module but share the one handle, so the maps live in a process-wide registry, not in the module.
type Registry = { locks: WeakMap<Db, SqliteLock>; roots: WeakMap<Db, Db> };
const REGISTRY = Symbol.for("portal.db-registry");
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= { locks: new WeakMap(), roots: new WeakMap() });
