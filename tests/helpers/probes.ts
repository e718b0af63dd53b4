import path from "node:path";
import Database from "better-sqlite3";
import type { TestApp } from "./app";
import { SyncPg } from "./pg-sync";
import { copyDatabase } from "./postgres";

/**
 * Probes: the ONE place where tests read the portal's database directly (and, for the few tests
 * that tamper with it on purpose, write to it). Every probe is named for the fact it reads, so a
 * test says `probe.openLocksOf(id)` rather than carrying SQL. When the portal also runs on
 * PostgreSQL, this module is what changes; the tests do not.
 *
 * `probes(() => app)` takes a getter because test files start their portal in `beforeAll`.
 * Rows are returned as stored (snake_case columns); `pick` narrows them for `toEqual`.
 */

export type UserRow = {
  id: string;
  username: string;
  email: string;
  email_verified: number;
  phone: string | null;
  phone_verified: number;
  password_hash: string | null;
  [column: string]: unknown;
};
export type FlowRow = {
  id: string;
  user_id: string;
  purpose: string;
  status: string;
  code_hash: string | null;
  code_attempts: number;
  failed_count: number;
  consumed_at: number | null;
  link_token_hash: string;
  expires_at: number;
  requested_via: string;
  identifier_key: string;
  created_at: number;
  [column: string]: unknown;
};
export type LockRow = {
  id: string;
  user_id: string;
  reason: string;
  locked_at: number;
  locked_until: number | null;
  ended_at: number | null;
  end_reason: string | null;
  ended_by: string | null;
  [column: string]: unknown;
};
export type OutboxRow = {
  id: string;
  channel: string;
  recipient: string;
  template: string;
  status: string;
  attempts: number;
  payload: string;
  message_id: string | null;
  last_error: string | null;
  created_at: number;
  [column: string]: unknown;
};
export type AuditRow = {
  seq: number;
  event: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  user_id: string | null;
  details: string;
  ip: string | null;
  alg: string;
  prev_hash: string;
  hash: string;
  [column: string]: unknown;
};
export type TicketRow = {
  id: string;
  reference: string;
  category: string;
  priority: string;
  status: string;
  source: string;
  sla_due_at: number;
  full_name: string;
  contact_email: string;
  contact_phone: string | null;
  contact_confirmed: number;
  confirm_token_hash: string | null;
  details: string | null;
  matched_user_id: string | null;
  created_at: number;
  [column: string]: unknown;
};
export type TicketEventRow = { id: number; ticket_id: string; at: number; actor: string; action: string; note: string | null; from_status: string | null; to_status: string | null };
export type StaffRow = {
  id: string;
  email: string;
  name: string;
  status: string;
  password_hash: string;
  failed_code_count: number;
  failed_password_count: number;
  locked_at: number | null;
  locked_ip: string | null;
  totp_secret: string | null;
  totp_last_step: number;
  totp_confirmed_at: number | null;
  [column: string]: unknown;
};
export type TotpRow = { user_id: string; secret: string; confirmed_at: number | null; last_step: number; created_at: number };
export type RecoveryCodeRow = { id: string; user_id: string; code_hash: string; used_at: number | null; created_at: number };
export type PasskeyRow = { id: string; user_id: string; name: string; created_at: number; [column: string]: unknown };
export type FailureRow = { key: string; failures: number; delay_until: number; updated_at: number };
export type ContactChangeRow = { kind: string; new_value: string; status: string; attempts: number; [column: string]: unknown };
export type ReportTokenRow = { channel: string; recipient: string; restore_kind: string | null; created_at: number; expires_at: number; event: string; [column: string]: unknown };

/** The listed columns of a row, or of each row (for `toEqual` on part of a row). */
export function pick<T extends object, K extends keyof T>(rows: T[], ...keys: K[]): Pick<T, K>[];
export function pick<T extends object, K extends keyof T>(row: T | undefined, ...keys: K[]): Pick<T, K> | undefined;
export function pick<T extends object, K extends keyof T>(rows: T[] | T | undefined, ...keys: K[]) {
  const one = (r: T) => Object.fromEntries(keys.map((k) => [k, r[k]])) as Pick<T, K>;
  if (rows === undefined) return undefined;
  return Array.isArray(rows) ? rows.map(one) : one(rows);
}

export type AuditFilter = {
  event?: string | string[];
  /** Events whose name starts with this (e.g. "ticket_"). */
  eventPrefix?: string;
  outcome?: string;
  userId?: string | null;
  actorId?: string;
  actorType?: string;
  /** Events whose details mention this text. */
  mentioning?: string;
  afterSeq?: number;
};

/**
 * What probes need of a portal: its PostgreSQL database (`databaseUrl`) or else the path of its
 * SQLite file. The same SQL runs on both: `?` placeholders, `instr` and `rowid` are translated for
 * PostgreSQL (see `toPostgres`); the few engine-specific probes say so.
 */
export type ProbeTarget = Pick<TestApp, "dbPath" | "databaseUrl">;

const isDatabaseUrl = (target: string) => /^postgres(?:ql)?:\/\//.test(target);

/** SQLite's SQL as the probes write it, for PostgreSQL: `?` → `$n`, `instr` → `strpos`, `rowid` → `ctid`. */
export function toPostgres(sql: string): string {
  let n = 0;
  return sql
    .replace(/\?/g, () => `$${++n}`)
    .replace(/\binstr\(/g, "strpos(")
    .replace(/\browid\b/g, "ctid");
}

/** One connection per PostgreSQL database, shared by every probe on it (reads and writes). */
const pgConnections = new Map<string, SyncPg>();
function pgOn(url: string): SyncPg {
  let handle = pgConnections.get(url);
  if (!handle) {
    handle = new SyncPg(url);
    pgConnections.set(url, handle);
  }
  return handle;
}

/** One read-only handle per database file, shared by every probe on it. */
const readOnly = new Map<string, Database.Database>();
function readOnlyOn(dbPath: string): Database.Database {
  let handle = readOnly.get(dbPath);
  if (!handle) {
    handle = new Database(dbPath, { readonly: true, fileMustExist: true });
    readOnly.set(dbPath, handle);
  }
  return handle;
}

/**
 * Closes the probes' handle on a file or PostgreSQL database (a portal's `stop()` does it; the
 * next probe reopens it).
 */
export function releaseProbes(dbPathOrUrl: string): void {
  readOnly.get(dbPathOrUrl)?.close();
  readOnly.delete(dbPathOrUrl);
  pgConnections.get(dbPathOrUrl)?.close();
  pgConnections.delete(dbPathOrUrl);
}

/**
 * Probes on a database that no running portal owns (e.g. one the `migrate` CLI just created, or a
 * copy a test tampers with): a SQLite file path or a postgres:// URL. `close()` releases the handle.
 */
export function probesAt(dbPathOrUrl: string) {
  const target: ProbeTarget = isDatabaseUrl(dbPathOrUrl) ? { dbPath: "", databaseUrl: dbPathOrUrl } : { dbPath: dbPathOrUrl, databaseUrl: null };
  return { ...probes(() => target), close: () => releaseProbes(dbPathOrUrl) };
}

/** What the tampering probes write through: a short-lived SQLite handle, or the PostgreSQL connection. */
type Writer = {
  run: (sql: string, ...params: unknown[]) => void;
  all: <T>(sql: string, ...params: unknown[]) => T[];
  exec: (sql: string) => void;
  transaction: (fn: () => void) => void;
};

let copies = 0;

/**
 * The environment that points the portal or its CLI at a database (`probesAt`'s argument): a
 * postgres:// URL as DATABASE_URL, otherwise a SQLite file as DATABASE_PATH (DATABASE_URL unset).
 */
export function engineEnv(env: Record<string, string>, dbPathOrUrl: string): Record<string, string> {
  const rest = { ...env };
  delete rest.DATABASE_URL;
  return isDatabaseUrl(dbPathOrUrl) ? { ...rest, DATABASE_URL: dbPathOrUrl } : { ...rest, DATABASE_PATH: dbPathOrUrl };
}

/** How a chain link is computed from the previous hash and a row (the tests' attacker knows no key). */
export type ChainHash = (prev: string, row: AuditRow) => string;

export function probes(getApp: () => ProbeTarget) {
  const pgUrl = () => getApp().databaseUrl ?? null;
  const all = <T>(sql: string, ...params: unknown[]): T[] => {
    const url = pgUrl();
    if (url !== null) return pgOn(url).query<T>(toPostgres(sql), params).rows;
    return readOnlyOn(getApp().dbPath).prepare(sql).all(...params) as T[];
  };
  const one = <T>(sql: string, ...params: unknown[]) => all<T>(sql, ...params)[0];
  const count = (sql: string, ...params: unknown[]) => one<{ n: number }>(sql, ...params)!.n;
  /** Picks the engine's variant of a probe that cannot be written once for both. */
  const onEngine = <T>(variants: { sqlite: () => T; postgres: (url: string) => T }): T => {
    const url = pgUrl();
    return url === null ? variants.sqlite() : variants.postgres(url);
  };

  /** A short-lived writable handle (SQLite), or the probes' connection (PostgreSQL), for the tests that tamper on purpose. */
  const writable = <T>(fn: (w: Writer) => T): T => {
    const url = pgUrl();
    if (url !== null) {
      const c = pgOn(url);
      return fn({
        run: (sql, ...params) => void c.query(toPostgres(sql), params),
        all: <R>(sql: string, ...params: unknown[]) => c.query<R>(toPostgres(sql), params).rows,
        exec: (sql) => void c.query(sql),
        transaction: (body) => {
          c.query("BEGIN");
          try {
            body();
            c.query("COMMIT");
          } catch (error) {
            c.query("ROLLBACK");
            throw error;
          }
        },
      });
    }
    const w = new Database(getApp().dbPath);
    w.pragma("busy_timeout = 5000");
    try {
      return fn({
        run: (sql, ...params) => void w.prepare(sql).run(...params),
        all: <R>(sql: string, ...params: unknown[]) => w.prepare(sql).all(...params) as R[],
        exec: (sql) => void w.exec(sql),
        transaction: (body) => w.transaction(body)(),
      });
    } finally {
      w.close();
    }
  };

  /** Every table; `engineOwn` adds SQLite's own (sqlite_sequence…); PostgreSQL's live outside the public schema. */
  const tableNames = (engineOwn: boolean) =>
    onEngine({
      sqlite: () => all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'${engineOwn ? "" : " AND name NOT LIKE 'sqlite_%'"}`),
      postgres: () => all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"),
    }).map((t) => t.name);

  const userRow = (username: string) => one<UserRow>("SELECT * FROM users WHERE username = ?", username);
  const userId = (username: string) => {
    const row = userRow(username);
    if (!row) throw new Error(`no user ${username}`);
    return row.id;
  };

  return {
    // ---- accounts ------------------------------------------------------------------------
    userRow,
    userId,
    userExists: (username: string) => userRow(username) !== undefined,
    userCount: () => count("SELECT COUNT(*) AS n FROM users"),
    totpRow: (userId: string) => one<TotpRow>("SELECT * FROM user_totp WHERE user_id = ?", userId),
    recoveryCodesOf: (userId: string) => all<RecoveryCodeRow>("SELECT * FROM recovery_codes WHERE user_id = ? ORDER BY created_at, rowid", userId),
    passkeysOf: (userId: string) => all<PasskeyRow>("SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, rowid", userId),
    contactChangesOf: (userId: string) => all<ContactChangeRow>("SELECT * FROM contact_changes WHERE user_id = ? ORDER BY created_at, rowid", userId),
    reportTokensOf: (userId: string, event: string) =>
      all<ReportTokenRow>("SELECT * FROM report_tokens WHERE user_id = ? AND event = ? ORDER BY recipient", userId, event),

    // ---- sessions ------------------------------------------------------------------------
    /** How many customer sessions the account has. */
    sessionsOf: (userId: string) => count("SELECT COUNT(*) AS n FROM sessions WHERE subject_type = 'user' AND subject_id = ?", userId),
    /** How many staff sessions the staff member has. */
    staffSessionsOf: (staffId: string) => count("SELECT COUNT(*) AS n FROM sessions WHERE subject_type = 'staff' AND subject_id = ?", staffId),
    /** Every session of anyone (customers and staff). */
    sessionCount: () => count("SELECT COUNT(*) AS n FROM sessions"),
    sessionExists: (sessionId: string) => one("SELECT 1 FROM sessions WHERE id = ?", sessionId) !== undefined,

    // ---- recovery flows ------------------------------------------------------------------
    /** The newest flow of `username` for `purpose` ("reset" or "unlock"). */
    flowOf: (username: string, purpose = "reset") =>
      one<FlowRow>(
        "SELECT f.* FROM recovery_flows f JOIN users u ON u.id = f.user_id WHERE u.username = ? AND f.purpose = ? ORDER BY f.created_at DESC, f.rowid DESC LIMIT 1",
        username,
        purpose,
      ),
    flowsOf: (userId: string) => all<FlowRow>("SELECT * FROM recovery_flows WHERE user_id = ? ORDER BY created_at, rowid", userId),
    activeFlowsOf: (userId: string) => all<FlowRow>("SELECT * FROM recovery_flows WHERE user_id = ? AND status = 'active' ORDER BY created_at, rowid", userId),
    /** The holds (recovery sessions) on a flow, oldest first. */
    holdsOf: (flowId: string) => all<{ id: string; flow_id: string; state: string; created_at: number }>("SELECT id, flow_id, state, created_at FROM recovery_sessions WHERE flow_id = ? ORDER BY created_at, id", flowId),
    /** How many recovery flows exist, of any account. */
    flowCount: () => count("SELECT COUNT(*) AS n FROM recovery_flows"),
    /** Active flows of any account for `purpose`, newest first. */
    activeFlowsFor: (purpose: string) => all<FlowRow>("SELECT * FROM recovery_flows WHERE purpose = ? AND status = 'active' ORDER BY created_at DESC, rowid DESC", purpose),

    // ---- locks and failures --------------------------------------------------------------
    /** Every lock of the account, oldest first. */
    locksOf: (userId: string) => all<LockRow>("SELECT * FROM account_locks WHERE user_id = ? ORDER BY locked_at, rowid", userId),
    openLocksOf: (userId: string) => all<LockRow>("SELECT * FROM account_locks WHERE user_id = ? AND ended_at IS NULL ORDER BY locked_at, rowid", userId),
    latestLockOf: (userId: string) => one<LockRow>("SELECT * FROM account_locks WHERE user_id = ? ORDER BY locked_at DESC, rowid DESC LIMIT 1", userId),
    signInFailures: (key: string) => one<FailureRow>("SELECT * FROM sign_in_failures WHERE key = ?", key),

    // ---- outbox --------------------------------------------------------------------------
    /** Messages queued for one recipient, oldest first. */
    outboxOf: (recipient: string) => all<OutboxRow>("SELECT * FROM outbox WHERE recipient = ? ORDER BY created_at, rowid", recipient),
    /** The newest message queued for one recipient. */
    latestOutboxOf: (recipient: string) => one<OutboxRow>("SELECT * FROM outbox WHERE recipient = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", recipient),
    outboxRow: (id: string) => one<OutboxRow>("SELECT * FROM outbox WHERE id = ?", id),
    outboxCount: () => count("SELECT COUNT(*) AS n FROM outbox"),
    outboxByTemplate: (template: string) => all<OutboxRow>("SELECT * FROM outbox WHERE template = ? ORDER BY created_at, rowid", template),
    /** "How easy was this?" answers for one subject (a recovery flow or a ticket), issue 15. */
    feedbackFor: (subjectId: string) =>
      all<{ id: string; kind: string; subject_id: string; method: string; purpose: string; score: number; comment: string | null; created_at: number }>("SELECT * FROM feedback WHERE subject_id = ? ORDER BY created_at", subjectId),
    outboxByChannel: (channel: string) => all<OutboxRow>("SELECT * FROM outbox WHERE channel = ? ORDER BY created_at, rowid", channel),
    /** Messages whose recipient contains `text` (any letter case). */
    outboxToAnyContaining: (text: string) => all<OutboxRow>("SELECT * FROM outbox WHERE instr(lower(recipient), lower(?)) > 0", text),
    /** Messages still pending or being sent. */
    outboxUndelivered: () => count("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')"),
    /** Messages pending or being sent whose next attempt is due before `time` (epoch ms). */
    outboxDueBefore: (time: number) => count("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?", time),
    /** SMS kept by the development mailbox (console provider). */
    devMailboxSms: () => all<{ id: number; recipients: string; text_body: string }>("SELECT id, recipients, text_body FROM dev_mailbox WHERE channel = 'sms' ORDER BY id"),

    // ---- audit ---------------------------------------------------------------------------
    /** Audit events matching every given condition, in chain order. */
    auditEvents: (filter: AuditFilter = {}) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.event !== undefined) {
        const events = Array.isArray(filter.event) ? filter.event : [filter.event];
        where.push(`event IN (${events.map(() => "?").join(", ")})`);
        params.push(...events);
      }
      if (filter.eventPrefix !== undefined) {
        where.push("substr(event, 1, ?) = ?");
        params.push(filter.eventPrefix.length, filter.eventPrefix);
      }
      const equal = (column: string, value: unknown) => {
        where.push(`${column} = ?`);
        params.push(value);
      };
      if (filter.outcome !== undefined) equal("outcome", filter.outcome);
      if (filter.userId === null) where.push("user_id IS NULL");
      else if (filter.userId !== undefined) equal("user_id", filter.userId);
      if (filter.actorId !== undefined) equal("actor_id", filter.actorId);
      if (filter.actorType !== undefined) equal("actor_type", filter.actorType);
      if (filter.mentioning !== undefined) {
        where.push("instr(details, ?) > 0");
        params.push(filter.mentioning);
      }
      if (filter.afterSeq !== undefined) {
        where.push("seq > ?");
        params.push(filter.afterSeq);
      }
      return all<AuditRow>(`SELECT * FROM audit_events${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY seq`, ...params);
    },
    lastAuditEvent: () => one<AuditRow>("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1"),
    auditCount: () => count("SELECT COUNT(*) AS n FROM audit_events"),
    /** Links of the chain that two rows name as their predecessor (a fork). */
    auditChainForks: () => all<{ prev_hash: string; n: number }>("SELECT prev_hash, COUNT(*) AS n FROM audit_events GROUP BY prev_hash HAVING COUNT(*) > 1"),

    // ---- tickets and staff ---------------------------------------------------------------
    ticketRow: (reference: string) => one<TicketRow>("SELECT * FROM tickets WHERE reference = ?", reference),
    ticketById: (id: string) => one<TicketRow>("SELECT * FROM tickets WHERE id = ?", id),
    /** Every ticket, in the order they were stored. */
    allTickets: () => all<TicketRow>("SELECT * FROM tickets ORDER BY rowid"),
    ticketCount: () => count("SELECT COUNT(*) AS n FROM tickets"),
    ticketsByContact: (contactEmail: string) => all<TicketRow>("SELECT * FROM tickets WHERE contact_email = ? ORDER BY created_at, rowid", contactEmail),
    /** Tickets matched to the account, optionally only those from one source ("form", "report"). */
    ticketsOf: (userId: string, source?: string) =>
      source === undefined
        ? all<TicketRow>("SELECT * FROM tickets WHERE matched_user_id = ? ORDER BY created_at, rowid", userId)
        : all<TicketRow>("SELECT * FROM tickets WHERE matched_user_id = ? AND source = ? ORDER BY created_at, rowid", userId, source),
    ticketEvents: (ticketId: string) => all<TicketEventRow>("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", ticketId),
    staffRow: (email: string) => one<StaffRow>("SELECT * FROM staff WHERE email = ?", email),
    staffEvents: (staffId: string) => all<{ actor: string; action: string; note: string | null }>("SELECT * FROM staff_events WHERE staff_id = ? ORDER BY id", staffId),

    // ---- schema --------------------------------------------------------------------------
    /** Applied migrations, in order. */
    migrations: () => all<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version"),
    /** Names of every table (SQLite's own included; on PostgreSQL those of the public schema). */
    tableNames: () => tableNames(true),
    /** Every column of every table, as `table.column`. */
    columnNames: () =>
      onEngine({
        sqlite: () => tableNames(true).flatMap((name) => all<{ name: string }>("SELECT name FROM pragma_table_info(?)", name).map((c) => `${name}.${c.name}`)),
        postgres: () =>
          all<{ t: string; c: string }>("SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position").map(
            ({ t, c }) => `${t}.${c}`,
          ),
      }),
    /** Row counts of the named tables. */
    rowCounts: (tables: string[]) => Object.fromEntries(tables.map((t) => [t, count(`SELECT COUNT(*) AS n FROM ${t}`)])),
    /** Rows of the SQLite rate-limit store (empty when the limiter lives in Redis). */
    rateLimitRows: () => count("SELECT COUNT(*) AS n FROM rate_limits"),

    /** Every row of every table of the portal's own (for "this secret is stored nowhere" checks). */
    everyRow: () => tableNames(false).flatMap((name) => all<Record<string, unknown>>(`SELECT * FROM "${name}"`).map((row) => ({ table: name, row }))),

    // ---- tampering on purpose ------------------------------------------------------------
    /**
     * Stores a passkey row as the registration ceremony would. Registering a real one needs a
     * browser (tests/e2e/passkeys.spec.ts does); some tests only need its presence and age.
     */
    insertPasskey: (row: { id: string; userId: string; name: string; createdAt: number; publicKey?: Buffer }) =>
      writable((w) =>
        w.run(
          "INSERT INTO passkeys (id, user_id, public_key, counter, transports, name, created_at) VALUES (?, ?, ?, 0, '[]', ?, ?)",
          row.id,
          row.userId,
          row.publicKey ?? Buffer.from("not-a-real-key"),
          row.name,
          row.createdAt,
        ),
      ),
    /** Stores a lock as staff would set it (no end time), for tests about who may lift it. */
    insertStaffLock: (row: { id: string; userId: string; lockedAt: number }) =>
      writable((w) =>
        w.run("INSERT INTO account_locks (id, user_id, reason, locked_at, locked_until, details, created_by) VALUES (?, ?, 'staff', ?, NULL, '{}', 'staff:test')", row.id, row.userId, row.lockedAt),
      ),

    // ---- tampering with the audit chain, as an attacker holding the file (not SECRET_KEY) ----
    /**
     * A consistent copy of the database, to tamper with: SQLite's online backup into `file`, or on
     * PostgreSQL a pg_dump of it into a new database of the cluster (named after the file). Returns
     * where the copy is (the file, or the new database's URL), for `probesAt` and `engineEnv`.
     */
    copyTo: async (file: string) => {
      const url = pgUrl();
      if (url !== null) return copyDatabase(url, `${path.basename(file).replace(/\W.*$/, "").toLowerCase()}_${process.pid}_${++copies}`);
      const live = new Database(getApp().dbPath, { readonly: true, fileMustExist: true });
      try {
        await live.backup(file);
      } finally {
        live.close();
      }
      return file;
    },
    /** Drops the audit log's append-only triggers (`audit_no_update`, `audit_no_delete`). */
    dropAuditTriggers: (...triggers: string[]) =>
      writable((w) => w.exec(triggers.map((t) => `DROP TRIGGER ${t}${pgUrl() === null ? "" : " ON audit_events"};`).join(" "))),
    /**
     * Recomputes the chain with `hash` over the rows from `from` to `through` (seq; all by default),
     * after `edit` has changed each of them in place; `alg` also relabels those rows. The rows
     * before `from` keep their links. Returns the rewritten rows.
     */
    rechainAudit: (hash: ChainHash, options: { from?: number; through?: number; edit?: (row: AuditRow) => void; alg?: string } = {}) =>
      writable((w) => {
        const rows = w.all<AuditRow>("SELECT * FROM audit_events ORDER BY seq");
        const rewritten: AuditRow[] = [];
        let prev = "0".repeat(64);
        w.transaction(() => {
          for (const r of rows) {
            if (r.seq >= (options.from ?? -Infinity) && r.seq <= (options.through ?? Infinity)) {
              options.edit?.(r);
              r.prev_hash = prev;
              r.hash = hash(prev, r);
              w.run("UPDATE audit_events SET event = ?, outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?", r.event, r.outcome, r.prev_hash, r.hash, r.seq);
              if (options.alg !== undefined && "alg" in r) w.run("UPDATE audit_events SET alg = ? WHERE seq = ?", options.alg, r.seq);
              rewritten.push(r);
            }
            prev = r.hash;
          }
        });
        return rewritten;
      }),
    /** Takes migration 0009 back out: no `alg` column, the migration not recorded as applied. */
    /** Records a migration this code does not have, as newer code would have applied it. */
    addFutureMigration: (version: number, name: string) =>
      writable((w) => w.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", version, name, new Date().toISOString())),
    unapplyAuditKeyMigration: () => writable((w) => w.exec("ALTER TABLE audit_events DROP COLUMN alg; DELETE FROM schema_migrations WHERE version = 9;")),
    /** Deletes the audit events after `seq` (the append-only trigger must be gone). */
    deleteAuditEventsAfter: (seq: number) => writable((w) => w.run("DELETE FROM audit_events WHERE seq > ?", seq)),
  };
}

export type Probes = ReturnType<typeof probes>;
