import { AsyncLocalStorage } from "node:async_hooks";
import { performance, type EventLoopUtilization } from "node:perf_hooks";
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
 * - On a saturated event loop, the transactions of one turn commit together (GroupCommit,
 *   docs/decisions/0027).
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

type Batch = { done: Promise<void>; resolve: () => void; reject: (error: unknown) => void; released: number };

const COMMITTED = Promise.resolve();

/** Share of the last window the event loop spent working, above which transactions join the turn's batch. */
const BUSY_UTILISATION = 0.8;
const WINDOW_MS = 20;

/**
 * Group commit (docs/decisions/0027). On a saturated event loop every transaction on the
 * connection is a savepoint (a "unit") inside one SQLite write transaction, the batch, which stays
 * open until the loop's turn ends and then commits once for all of its units: the transactions of
 * the requests read in the same turn share one COMMIT, so pages every request writes (a table's
 * last leaf, the audit sequence, the database header) go to the WAL once per turn instead of once
 * per transaction, and the file locks are taken once. Off saturation a transaction is a plain one,
 * committed as it ends.
 *
 * - A unit's caller gets the connection back as soon as its savepoint is released, and learns
 *   that it committed (or why not) when the batch does: `transaction()` resolves only once its
 *   work is durable, as before. A failed COMMIT fails every unit of the batch.
 * - A statement outside any unit reads the units already released (the same connection). One that
 *   writes commits the batch at once, with itself in it: nothing that returned looks committed
 *   for longer than a turn.
 * - Other connections (the CLI, another process) see a unit once its batch commits. A saturated
 *   portal holds the write lock most of the time, so they wait longer for it (the CLI's
 *   busy_timeout is 30 s).
 */
export class GroupCommit {
  #batch: Batch | null = null;
  /** The event loop's counters when the last unit ended, and at the start of the current window. */
  #lastEnd = performance.eventLoopUtilization();
  #window = this.#lastEnd;
  #busy = false;
  /** The open unit is a plain transaction (not in a batch). */
  #plain = false;
  readonly #statements = new Map<string, Statement>();

  constructor(
    private readonly raw: BetterSqlite3.Database,
    private readonly lock: SqliteLock,
    /** Called as each batch opens: the event loop is saturated (wal-checkpoints.server.ts). */
    private readonly onBatch: () => void = () => undefined,
  ) {}

  #run(sql: string): void {
    let stmt = this.#statements.get(sql);
    if (!stmt) this.#statements.set(sql, (stmt = this.raw.prepare(sql)));
    stmt.run();
  }

  /**
   * Opens a unit; the caller holds the lock. On a loop that is not saturated, with no batch open,
   * the unit is a plain transaction: no savepoint (whose copies of the pages it changes cost a
   * quiet portal CPU for nothing), committed as it ends.
   */
  begin(): void {
    if (!this.#batch && !this.#loopBusy(performance.eventLoopUtilization())) {
      this.#run("BEGIN IMMEDIATE");
      this.#plain = true;
      return;
    }
    if (!this.#batch) {
      this.#run("BEGIN IMMEDIATE");
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      done.catch(() => undefined); // each unit awaits it; a batch nobody awaits must not crash the process
      this.#batch = { done, resolve, reject, released: 0 };
      this.onBatch();
      // Outside the caller's async context: the commit is not part of the transaction that opened the batch.
      holding.exit(() => setImmediate(() => void this.#commitLater()));
    }
    this.#run("SAVEPOINT unit");
  }

  /** Ends the unit; the caller holds the lock, gives it back, then awaits the promise (its commit). */
  end(): Promise<void> {
    const now = performance.eventLoopUtilization();
    const busy = this.#loopBusy(now);
    this.#lastEnd = now;
    if (this.#plain) {
      this.#plain = false;
      try {
        this.#commitOrRollBack();
      } catch (error) {
        return Promise.reject(error);
      }
      return COMMITTED;
    }
    this.#run("RELEASE unit");
    const batch = this.#batch!;
    batch.released++;
    if (!busy) {
      try {
        this.commit();
      } catch {
        // The batch's units have the error.
      }
    }
    return batch.done;
  }

  /** Undoes the open unit alone; the caller holds the lock. */
  abort(error: unknown): void {
    if (this.#plain) {
      this.#plain = false;
      if (this.raw.inTransaction) this.#run("ROLLBACK");
      return;
    }
    if (this.raw.inTransaction && this.#batch?.released) {
      this.#run("ROLLBACK TO unit");
      this.#run("RELEASE unit");
      return;
    }
    if (this.raw.inTransaction) {
      // The batch holds nothing else: end it here, so the connection is out of any transaction at once.
      this.#run("ROLLBACK");
      const batch = this.#batch;
      this.#batch = null;
      batch?.resolve();
      return;
    }
    // SQLite ended the whole transaction itself (a full disk, an I/O error): every unit of the batch went with it.
    const batch = this.#batch;
    this.#batch = null;
    batch?.reject(error);
  }

  /** Commits the batch now; the caller holds the lock. Throws what COMMIT threw, after failing the batch's units. */
  commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = null;
    try {
      this.#commitOrRollBack();
    } catch (error) {
      batch.reject(error);
      throw error;
    }
    batch.resolve();
  }

  /** COMMIT; if it fails, leaves no transaction open and throws COMMIT's error (not a failed ROLLBACK's). */
  #commitOrRollBack(): void {
    try {
      this.#run("COMMIT");
    } catch (error) {
      try {
        if (this.raw.inTransaction) this.#run("ROLLBACK");
      } catch {
        // The COMMIT's error is the one to report.
      }
      throw error;
    }
  }

  /**
   * Whether units should go into the turn's batch: only when the event loop is nearly saturated
   * (over the last window of at least WINDOW_MS) and has not waited for I/O since the last unit
   * ended. Otherwise nothing else is likely to join the batch, and waiting for the turn to end
   * costs the caller a turn of the loop: on a quiet portal that was about 10 % more request-thread
   * CPU per sign-in, whose transactions follow each other.
   */
  #loopBusy(now: EventLoopUtilization): boolean {
    if (now.idle + now.active - (this.#window.idle + this.#window.active) >= WINDOW_MS) {
      this.#busy = performance.eventLoopUtilization(now, this.#window).utilization >= BUSY_UTILISATION;
      this.#window = now;
    }
    return this.#busy && now.idle === this.#lastEnd.idle;
  }

  async #commitLater(): Promise<void> {
    if (!this.#batch) return;
    let release: () => void;
    try {
      release = await this.lock.acquire();
    } catch {
      // The connection stayed busy past the lock's wait limit: try again rather than leave the units waiting.
      holding.exit(() => setImmediate(() => void this.#commitLater()));
      return;
    }
    try {
      this.commit();
    } catch {
      // The units of the batch have the error.
    } finally {
      release();
    }
  }
}

/** The one better-sqlite3 connection, with its prepared statements cached by SQL text. */
class Connection {
  readonly #statements = new Map<string, Statement>();

  constructor(
    readonly raw: BetterSqlite3.Database,
    readonly group: GroupCommit,
  ) {}

  prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      // IN-lists of every length make new texts; a bound keeps the cache from growing without end.
      if (this.#statements.size >= 1000) this.#statements.clear();
      stmt = this.raw.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs one query; the caller holds the lock. `inUnit`: inside a transaction's unit. */
  run<R>(sql: string, parameters: readonly unknown[], inUnit: boolean): QueryResult<R> {
    const stmt = this.prepare(sql);
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    // A write outside any transaction is durable when it returns, as it always was: it commits the batch it joined.
    if (!inUnit) this.group.commit();
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }
}

/**
 * SQL texts run on the connection without Kysely's executor, whose promises and closures per query
 * (and the frozen CompiledQuery each needs) were about a fifth of a reset request's allocation
 * (docs/decisions/0030). Same lock, same statements, same group commit as a query through Kysely.
 */
export class DirectQueries {
  constructor(
    private readonly connection: Connection,
    private readonly lock: SqliteLock,
  ) {}

  /** From a transaction's body: its chain holds the lock, and the query belongs to its unit. */
  inTransaction<R>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>> {
    try {
      return Promise.resolve(this.connection.run<R>(sql, parameters, true));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** From the root handle: waits for the lock like any query, and a write commits at once. */
  async outside<R>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>> {
    const release = await this.lock.acquire();
    try {
      return this.connection.run<R>(sql, parameters, false);
    } finally {
      release();
    }
  }
}

/**
 * The connection as lent to one caller (under the lock). Each loan is its own object, so a
 * transaction whose batch failed after it gave the connection back cannot roll back the unit
 * another caller has open since.
 */
class Loan implements DatabaseConnection {
  /** Between BEGIN and COMMIT or ROLLBACK of this loan's transaction. */
  inUnit = false;

  constructor(
    readonly connection: Connection,
    readonly release: () => void,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.connection.run<R>(compiled.sql, compiled.parameters, this.inUnit);
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not used by the portal");
  }
}

class PortalSqliteDriver implements Driver {
  readonly #connection: Connection;

  constructor(
    connection: Connection,
    readonly lock: SqliteLock,
  ) {
    this.#connection = connection;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.lock.acquire();
    return new Loan(this.#connection, release);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as Loan).release();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.#connection.group.begin();
    (connection as Loan).inUnit = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const loan = connection as Loan;
    const committed = this.#connection.group.end();
    loan.inUnit = false;
    // Give the connection to the next unit of this turn before waiting for the batch's COMMIT.
    loan.release();
    await committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const loan = connection as Loan;
    // After a failed batch COMMIT (the unit had ended), there is nothing left to undo.
    if (!loan.inUnit) return;
    loan.inUnit = false;
    this.#connection.group.abort(new Error("transaction rolled back"));
  }

  async destroy(): Promise<void> {
    const release = await this.lock.acquire();
    try {
      this.#connection.group.commit();
    } finally {
      release();
      this.#connection.raw.close();
    }
  }
}

export class PortalSqliteDialect extends SqliteDialect {
  readonly #connection: Connection;
  /** The same connection and lock, for compiled queries that skip Kysely's executor. */
  readonly direct: DirectQueries;

  constructor(
    raw: BetterSqlite3.Database,
    private readonly lock: SqliteLock,
    group: GroupCommit,
  ) {
    super({ database: raw });
    this.#connection = new Connection(raw, group);
    this.direct = new DirectQueries(this.#connection, lock);
  }

  override createDriver(): Driver {
    return new PortalSqliteDriver(this.#connection, this.lock);
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
