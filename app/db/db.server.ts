import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely, PostgresDialect, sql, type QueryResult } from "kysely";
import { migrateSync } from "./migrations.server";
import type { Database } from "./schema";
import { GroupCommit, PortalSqliteDialect, SqliteLock, type DirectQueries, type LockOptions } from "./sqlite-driver.server";
import { migratePostgres, openPostgresPool, type PostgresPool } from "./postgres.server";
import { WalCheckpoints, type WalCheckpointOptions } from "./wal-checkpoints.server";

export type { Database } from "./schema";
export { migrationsDir } from "./migrations.server";
export type { LockOptions } from "./sqlite-driver.server";

/**
 * The portal's data handle. Stores take it as their first argument; inside a transaction they are
 * handed the transaction instead (a Kysely `Transaction` is a `Kysely`), so one signature serves
 * both and a store never opens a transaction of its own inside someone else's.
 */
export type Db = Kysely<Database>;

export type Engine = "sqlite" | "postgres";

/** The embedded default: one SQLite file, one connection (docs/decisions/0010). */
export type SqliteConnection = {
  engine: "sqlite";
  db: Db;
  /** The better-sqlite3 handle, for what Kysely cannot carry: migrations and the limiter's store. */
  raw: BetterSqlite3.Database;
  /** Runs a job on the raw handle while holding the connection, so it never lands inside a transaction. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** `exclusive`, with the job in one write transaction on the raw handle (one commit for all of it). */
  rawTransaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Checkpoints the WAL off the request thread while the event loop is saturated, if asked for (attach a host). */
  checkpoints: WalCheckpoints | null;
  close(): Promise<void>;
};

/** PostgreSQL for several app nodes (docs/decisions/0016): a pool, shared with the limiter's store. */
export type PostgresConnection = {
  engine: "postgres";
  db: Db;
  pool: PostgresPool;
  close(): Promise<void>;
};

export type Connection = SqliteConnection | PostgresConnection;

/** Pages of WAL between automatic checkpoints (SQLite's default is 1,000). */
export const WAL_CHECKPOINT_PAGES = 10_000;

export type OpenOptions = {
  readonly?: boolean;
  lock?: LockOptions;
  poolSize?: number;
  /** SQLite: how long a write waits for another process's write lock before SQLITE_BUSY (5 s). */
  busyTimeoutMs?: number;
  /**
   * SQLite: checkpoint the WAL on another thread while the event loop is saturated (the server's
   * connection, once `checkpoints.attach` gave it the e-mail thread; docs/decisions/0029).
   */
  checkpoints?: WalCheckpointOptions;
};

/**
 * Opens the portal's database: PostgreSQL when `databaseUrl` is set (postgres://…), otherwise the
 * SQLite file at `databasePath`.
 */
export function connect(where: { databaseUrl?: string | null; databasePath: string }, options: OpenOptions = {}): Connection {
  return where.databaseUrl ? openPostgres(where.databaseUrl, options) : openDatabase(where.databasePath, options);
}

export function openPostgres(url: string, options: OpenOptions = {}): PostgresConnection {
  const pool = openPostgresPool(url, { max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  registry.engines.set(db, "postgres");
  return {
    engine: "postgres",
    db,
    pool,
    async close() {
      await db.destroy();
      // Kysely ends the pool only if it ever ran a query on it; a process that failed before that
      // (e.g. a refused migration) would otherwise wait for its idle client to time out.
      if (!pool.ended) await pool.end();
    },
  };
}

/** Opens the portal's single SQLite file with the settings every process (server, CLI, worker) needs. */
export function openDatabase(file: string, options: OpenOptions = {}): SqliteConnection {
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  // WAL lets the CLI write while the server runs; busy_timeout covers the short write overlap.
  if (!options.readonly) raw.pragma("journal_mode = WAL");
  raw.pragma("foreign_keys = ON");
  raw.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}`);
  raw.pragma("synchronous = NORMAL");
  // A transaction in a batch (group commit) is a savepoint: the pages it changes are kept for a
  // rollback to it in memory, not in a temporary file (a write per page, docs/decisions/0027).
  raw.pragma("temp_store = MEMORY");
  // SQLite's automatic checkpoint (copying the WAL back into the file, with two fsyncs) runs inside
  // the COMMIT that crosses this many pages, on the request thread. At the default 1,000 (4 MiB) a
  // reset storm paid for it several times a second, and a hot page (a limiter counter, an index's
  // last leaf) was copied once per checkpoint. 10,000 pages (a WAL of up to 40 MiB) measured 8 %
  // less CPU and 16 % more reset requests per second (docs/decisions/0023). Under load the
  // server's connection leaves most of the copying to another thread (`checkpoints`, 0029).
  if (!options.readonly) raw.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  const lock = new SqliteLock(options.lock);
  const checkpoints = options.checkpoints && !options.readonly ? new WalCheckpoints(file, options.checkpoints) : null;
  const group = new GroupCommit(raw, lock, checkpoints ? () => checkpoints.saturated() : undefined);
  const dialect = new PortalSqliteDialect(raw, lock, group);
  const db = new Kysely<Database>({ dialect });
  registry.locks.set(db, lock);
  registry.direct.set(db, dialect.direct);
  // A job on the raw handle starts outside any transaction: the batch of released units commits first.
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await lock.acquire();
    try {
      group.commit();
      return await lock.hold(fn);
    } finally {
      release();
    }
  };
  const cached = withStatementCache(raw);
  return {
    engine: "sqlite",
    db,
    raw: cached,
    exclusive,
    // A unit of the group commit, like a Kysely transaction (sqlite-driver.server.ts).
    rawTransaction: async (fn) => {
      const release = await lock.acquire();
      let committed: Promise<void>;
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        group.begin();
        try {
          result = await lock.hold(fn);
        } catch (error) {
          group.abort(error);
          throw error;
        }
        committed = group.end();
      } finally {
        release();
      }
      await committed;
      return result;
    },
    checkpoints,
    async close() {
      checkpoints?.close();
      await db.destroy();
    },
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

/**
 * The raw handle as rate-limiter-flexible's SQLite store sees it: cached prepared statements, and
 * a `transaction(fn)` that returns `fn` as it is. The library wraps each upsert, a single statement
 * and so atomic on its own, in a new better-sqlite3 transaction function on every call: four
 * wrapper functions and a SAVEPOINT/RELEASE pair, four times per reset request, about a tenth of
 * the request's allocation (docs/decisions/0024). The statement runs inside the caller's
 * transaction (the limits' `consumeEach`), or commits by itself, as before; an error still reaches
 * the caller, which rolls back.
 */
export function singleStatementClient(connection: SqliteConnection) {
  const raw = connection.raw;
  return { prepare: (sql: string) => raw.prepare(sql), transaction: <F>(fn: F): F => fn };
}
export type SingleStatementClient = ReturnType<typeof singleStatementClient>;

/**
 * Applies the migrations not yet applied; returns their file names. Refuses (throws, one line)
 * when the database has migrations this code does not know: it was upgraded by newer code.
 */
export async function migrate(connection: Connection): Promise<string[]> {
  if (connection.engine === "postgres") return migratePostgres(connection.pool);
  return connection.exclusive(async () => migrateSync(connection.raw));
}

/** Which engine a handle (or a transaction opened on one) talks to. */
export function engineOf(db: Db): Engine {
  return registry.engines.get(rootOf(db)) ?? "sqlite";
}

// PostgreSQL ends one of two transactions that wait on each other (deadlock, 40P01) and refuses
// a serialization conflict (40001); both are safe to run again, because a transaction body does
// nothing but database work (docs/decisions/0010).
const RETRYABLE = new Set(["40P01", "40001"]);

/**
 * Runs `work` in one transaction, or inside the caller's when `db` already is one. Only database
 * work belongs in `work`: hash passwords, render messages and call the network before or after.
 */
export async function transaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  const lock = registry.locks.get(db);
  for (let attempt = 1; ; attempt++) {
    // A retried transaction starts over: what its failed try asked for after commit is dropped.
    const committed: (() => void)[] = [];
    let result: T;
    try {
      result = await db.transaction().execute((trx) => {
        registry.roots.set(trx, db);
        registry.committed.set(trx, committed);
        return lock ? lock.hold(() => work(trx)) : work(trx);
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= 3 || typeof code !== "string" || !RETRYABLE.has(code)) throw error;
      continue;
    }
    for (const fn of committed) fn();
    return result;
  }
}

/**
 * Whether `afterCommit` can take work for `db`: a root handle (each write commits as it returns)
 * or a transaction opened by `transaction()`.
 */
export function canRunAfterCommit(db: Db): boolean {
  return !db.isTransaction || registry.committed.has(db);
}

/**
 * Runs `fn` once the writes made so far on `db` are committed: at once on a root handle; on a
 * transaction, when `transaction()` has committed it (durably, group commit included), and never
 * if it rolls back. `fn` must not throw. For work that must not start for writes that may still
 * be undone, such as handing a queued message to the worker (docs/decisions/0034).
 */
export function afterCommit(db: Db, fn: () => void): void {
  if (!db.isTransaction) return fn();
  const committed = registry.committed.get(db);
  if (!committed) throw new Error("afterCommit: a transaction that transaction() did not open");
  committed.push(fn);
}

/**
 * Makes the caller's transaction the only one working on `keys` until it commits or rolls back.
 * For the few read-then-write transactions whose rows may not exist yet (failure counters, a
 * lock that must not be created twice). SQLite needs nothing: its write transaction already
 * excludes every other writer (BEGIN IMMEDIATE). On PostgreSQL, at READ COMMITTED, each key is a
 * transaction-scoped advisory lock, taken in sorted order so two transactions cannot deadlock on
 * them (docs/decisions/0017).
 */
export async function serializeOn(db: Db, ...keys: string[]): Promise<void> {
  if (!db.isTransaction) throw new Error("serializeOn needs a transaction handle");
  if (engineOf(db) !== "postgres") return;
  for (const key of [...new Set(keys)].sort()) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
}

/**
 * Runs an SQL text of this engine's dialect (compiled by Kysely once, see compiled.server.ts), as
 * `db.executeQuery(CompiledQuery.raw(sql, parameters))` does. On SQLite it goes straight to the
 * connection (the same lock, statements and group commit), without Kysely's executor; a
 * transaction handle must come from `transaction()` for that, as every one in the portal does
 * (docs/decisions/0030).
 */
export function executeSql<R>(db: Db, sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>> {
  // A transaction handle that transaction() did not open has no root here: Kysely runs its query.
  const direct = registry.direct.get(rootOf(db));
  if (!direct) return db.executeQuery<R>(CompiledQuery.raw(sql, parameters as unknown[]));
  return db.isTransaction ? direct.inTransaction<R>(sql, parameters) : direct.outside<R>(sql, parameters);
}

/** The root handle a transaction was opened on (the handle itself when it is a root). */
export function rootOf(db: Db): Db {
  return registry.roots.get(db) ?? db;
}

// Which lock guards a root handle (so a transaction body can be marked as holding it), and which
// root a transaction came from. server.ts and the Remix bundle each load their own copy of this
// module but share the one handle, so the maps live in a process-wide registry, not in the module.
type Registry = {
  locks: WeakMap<Db, SqliteLock>;
  roots: WeakMap<Db, Db>;
  engines: WeakMap<Db, Engine>;
  direct: WeakMap<Db, DirectQueries>;
  /** What a transaction runs once it has committed (`afterCommit`). */
  committed: WeakMap<Db, (() => void)[]>;
};
const REGISTRY = Symbol.for("portal.db-registry");
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= {
  locks: new WeakMap(),
  roots: new WeakMap(),
  engines: new WeakMap(),
  direct: new WeakMap(),
  committed: new WeakMap(),
});
