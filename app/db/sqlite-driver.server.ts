import { AsyncLocalStorage } from "node:async_hooks";
import type BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, SqliteAdapter, SqliteDialect, type DatabaseConnection, type DialectAdapter, type Driver, type QueryResult } from "kysely";

/**
 * Kysely's SQLite driver, adapted to a portal that serves many requests on one better-sqlite3
 * connection (docs/decisions/0010):
 *
 * - One FIFO lock around the connection, ours rather than Kysely's (which it takes for adapters
 *   without multiple connections), because ours can tell when the chain asking already holds it.
 * - `BEGIN IMMEDIATE`: a transaction takes the write lock when it starts, so a CLI process
 *   writing at the same time waits (busy_timeout) instead of failing half-way with SQLITE_BUSY.
 * - Prepared statements are cached by SQL text; Kysely's driver prepares every query afresh.
 * - A query on the root handle inside a transaction of the same call chain would wait for the
 *   lock that chain holds, for ever. It throws instead, naming the mistake (see LockOptions).
 */

type Statement = BetterSqlite3.Statement;

const holding = new AsyncLocalStorage<SqliteLock>();

export type LockOptions = {
  /**
   * Know which call chain holds the lock (AsyncLocalStorage), so a root-handle query inside a
   * transaction throws at once. On in development, tests and the CLI; off in production, where
   * Node 20's async hooks would cost every promise of every request (docs/decisions/0010).
   */
  trackHolder: boolean;
  /** How long a query may wait for the connection before it fails; production's deadlock net. */
  waitLimitMs: number;
};

type Waiter = { grant: () => void; timer?: NodeJS.Timeout };

export class SqliteLock {
  #held = false;
  readonly #waiters: Waiter[] = [];

  constructor(readonly options: LockOptions = { trackHolder: true, waitLimitMs: 10_000 }) {}

  acquire(): Promise<() => void> {
    if (this.options.trackHolder && holding.getStore() === this) {
      return Promise.reject(new Error("database used through the root handle inside a transaction: pass the transaction handle down"));
    }
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: () => resolve(this.#releaser()) };
      waiter.timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`database connection not granted within ${this.options.waitLimitMs} ms (a transaction waiting on itself?)`));
      }, this.options.waitLimitMs);
      this.#waiters.push(waiter);
    });
  }

  /** Hands the lock to the next waiter, first come first served; each grant releases once. */
  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiters.shift();
      if (!next) {
        this.#held = false;
        return;
      }
      clearTimeout(next.timer);
      next.grant();
    };
  }

  /** Runs `fn` while this call chain holds the lock (a transaction body, a raw-handle job). */
  hold<T>(fn: () => Promise<T>): Promise<T> {
    return this.options.trackHolder ? holding.run(this, fn) : fn();
  }
}

class Connection implements DatabaseConnection {
  readonly #statements = new Map<string, Statement>();

  constructor(readonly raw: BetterSqlite3.Database) {}

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      // IN-lists of every length make new texts; a bound keeps the cache from growing without end.
      if (this.#statements.size >= 1000) this.#statements.clear();
      stmt = this.raw.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not used by the portal");
  }
}

class PortalSqliteDriver implements Driver {
  readonly #connection: Connection;
  readonly #releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(
    raw: BetterSqlite3.Database,
    readonly lock: SqliteLock,
  ) {
    this.#connection = new Connection(raw);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.lock.acquire();
    this.#releases.set(this.#connection, release);
    return this.#connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const release = this.#releases.get(connection);
    this.#releases.delete(connection);
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("BEGIN IMMEDIATE"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("COMMIT"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("ROLLBACK"));
  }

  async destroy(): Promise<void> {
    this.#connection.raw.close();
  }
}

export class PortalSqliteDialect extends SqliteDialect {
  constructor(
    private readonly raw: BetterSqlite3.Database,
    private readonly lock: SqliteLock,
  ) {
    super({ database: raw });
  }

  override createDriver(): Driver {
    return new PortalSqliteDriver(this.raw, this.lock);
  }

  override createAdapter(): DialectAdapter {
    return new LockedSqliteAdapter();
  }
}

/** SQLite's SQL, with the connection lock left to PortalSqliteDriver. */
class LockedSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}
