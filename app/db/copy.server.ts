import type { PostgresConnection, SqliteConnection } from "./db.server";

/**
 * `portal db copy --to postgres://…`: a SQLite deployment's data moved, as it is, into an empty
 * PostgreSQL database that the same code has migrated. Every table of the source goes across
 * (accounts, factors, sessions, flows, tickets, the audit chain with its seq values and hashes,
 * the outbox, the limiter's counters…) in one PostgreSQL transaction, parents before children,
 * in batches; the identity sequences are then moved past the copied ids, so new rows continue
 * after them. BLOBs (session secret hashes, passkey public keys) arrive as the same bytes (bytea).
 *
 * Nothing is transformed: an audit row's hash covers exactly the values copied, so `audit verify`
 * on the copy checks the same chain with the same SECRET_KEY.
 */

export class CopyRefusal extends Error {}

export type CopiedTable = { table: string; rows: number };

type Row = Record<string, unknown>;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Tables of the migrations' own bookkeeping: the target's migrate() has written its own. */
const SKIPPED = new Set(["schema_migrations"]);

/** PostgreSQL accepts at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;

function sourceTables(raw: SqliteConnection["raw"]): string[] {
  return (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[])
    .map((t) => t.name)
    .filter((t) => !SKIPPED.has(t));
}

/** Parents before children (foreign keys as SQLite declares them); a table's own references are ignored. */
function foreignKeyOrder(raw: SqliteConnection["raw"], tables: string[]): string[] {
  const parents = new Map(
    tables.map((t) => [t, new Set((raw.prepare("SELECT \"table\" AS parent FROM pragma_foreign_key_list(?)").all(t) as { parent: string }[]).map((r) => r.parent).filter((p) => p !== t && tables.includes(p)))]),
  );
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)));
    if (ready.length === 0) throw new CopyRefusal(`foreign keys form a cycle among ${tables.filter((t) => !placed.has(t)).join(", ")}`);
    for (const t of ready) {
      ordered.push(t);
      placed.add(t);
    }
  }
  return ordered;
}

/**
 * Copies every row of `source` into `target`, which must be migrated to the same schema and hold
 * no rows. Returns the rows copied per table, in the order they were copied.
 */
export async function copySqliteToPostgres(source: SqliteConnection, target: PostgresConnection, options: { batchRows?: number } = {}): Promise<CopiedTable[]> {
  return source.exclusive(async () => {
    const raw = source.raw;
    // One read transaction: every table is read from the same snapshot (WAL), even if a portal
    // still writes to the file; what it writes after this point is not copied.
    raw.prepare("BEGIN").run();
    try {
      return await copyFrom(raw, target, options);
    } finally {
      raw.prepare("COMMIT").run();
    }
  });
}

async function copyFrom(raw: SqliteConnection["raw"], target: PostgresConnection, options: { batchRows?: number }): Promise<CopiedTable[]> {
  const sourceVersions = (raw.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[]).map((r) => Number(r.version));
  const client = await target.pool.connect();
  try {
    const targetVersions = (await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => Number(r.version));
    if (sourceVersions.join(",") !== targetVersions.join(",")) {
      throw new CopyRefusal(`the SQLite database has migrations ${sourceVersions.join(",")} but the target has ${targetVersions.join(",")}: run the same code's migrate on both`);
    }
    const tables = foreignKeyOrder(raw, sourceTables(raw));
    const columns = new Map<string, { name: string; type: string; identity: boolean }[]>();
    for (const r of (
      await client.query<{ table_name: string; column_name: string; data_type: string; is_identity: string }>(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
      )
    ).rows) {
      const list = columns.get(r.table_name) ?? [];
      list.push({ name: r.column_name, type: r.data_type, identity: r.is_identity === "YES" });
      columns.set(r.table_name, list);
    }
    const missing = tables.filter((t) => !columns.has(t));
    if (missing.length) throw new CopyRefusal(`the target has no table ${missing.join(", ")}: run the same code's migrate on it first`);

    await client.query("BEGIN");
    try {
      // Nothing else may write to the target while it is filled (a portal started on it too soon).
      await client.query(`LOCK TABLE ${tables.map(ident).join(", ")} IN EXCLUSIVE MODE`);
      for (const t of tables) {
        const has = await client.query(`SELECT 1 FROM ${ident(t)} LIMIT 1`);
        if (has.rowCount) throw new CopyRefusal(`the target database is not empty (table ${t} has rows): copy into a new, empty database`);
      }

      const copied: CopiedTable[] = [];
      for (const t of tables) {
        const targetColumns = new Map(columns.get(t)!.map((c) => [c.name, c]));
        const names = (raw.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").all(t) as { name: string }[]).map((c) => c.name);
        const unknown = names.filter((n) => !targetColumns.has(n));
        if (unknown.length) throw new CopyRefusal(`the target's ${t} has no column ${unknown.join(", ")}: run the same code's migrate on it first`);
        const bytea = names.map((n) => targetColumns.get(n)!.type === "bytea");
        const batch = Math.max(1, Math.min(options.batchRows ?? 500, Math.floor(MAX_PARAMETERS / names.length)));
        const pages = pageReader(raw, t, names, batch);
        const insertHead = `INSERT INTO ${ident(t)} (${names.map(ident).join(", ")}) VALUES `;
        let rows = 0;
        for (;;) {
          const page = pages.next();
          if (page.length === 0) break;
          const params: unknown[] = [];
          const tuples = page.map((row) => {
            const slots = names.map((n, i) => {
              const v = row[n];
              // A BLOB column may hold text SQLite accepted as is: bytea wants the bytes.
              params.push(bytea[i] && typeof v === "string" ? Buffer.from(v, "utf8") : v);
              return `$${params.length}`;
            });
            return `(${slots.join(", ")})`;
          });
          await client.query(insertHead + tuples.join(", "), params);
          rows += page.length;
        }
        copied.push({ table: t, rows });
      }

      // New rows continue after the copied ones, and after any id SQLite already handed out
      // (AUTOINCREMENT never reuses one, even of a deleted row).
      const handedOut = new Map(
        (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get()
          ? (raw.prepare("SELECT name, seq FROM sqlite_sequence").all() as { name: string; seq: number }[])
          : []
        ).map((r) => [r.name, Number(r.seq)]),
      );
      for (const t of tables) {
        for (const c of columns.get(t)!.filter((x) => x.identity)) {
          const max = Number((await client.query<{ max: number | null }>(`SELECT MAX(${ident(c.name)}) AS max FROM ${ident(t)}`)).rows[0].max ?? 0);
          const next = Math.max(max, handedOut.get(t) ?? 0);
          await client.query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)", [ident(t), c.name, Math.max(next, 1), next > 0]);
        }
      }

      // What arrived is what was read.
      for (const { table, rows } of copied) {
        const n = Number((await client.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${ident(table)}`)).rows[0].n);
        if (n !== rows) throw new Error(`table ${table}: ${rows} rows read but ${n} in the target`);
      }
      await client.query("COMMIT");
      return copied;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}

/**
 * Reads a table in pages of `batch` rows, each after the last one read: by rowid, or, for a
 * WITHOUT ROWID table (0025), by its primary key.
 */
function pageReader(raw: SqliteConnection["raw"], table: string, names: string[], batch: number): { next: () => Row[] } {
  const withoutRowid = (raw.prepare("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?").get(table) as { wr: number } | undefined)?.wr === 1;
  if (!withoutRowid) {
    const select = raw.prepare(`SELECT _rowid_ AS "__rowid", ${names.map(ident).join(", ")} FROM ${ident(table)} WHERE _rowid_ > ? ORDER BY _rowid_ LIMIT ?`);
    let after = Number.MIN_SAFE_INTEGER;
    return {
      next() {
        const page = select.all(after, batch) as Row[];
        if (page.length) after = Number(page[page.length - 1].__rowid);
        return page;
      },
    };
  }
  const key = (raw.prepare("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk").all(table) as { name: string }[]).map((c) => c.name);
  const columns = `${names.map(ident).join(", ")} FROM ${ident(table)}`;
  const order = `ORDER BY ${key.map(ident).join(", ")} LIMIT ?`;
  const first = raw.prepare(`SELECT ${columns} ${order}`);
  const rest = raw.prepare(`SELECT ${columns} WHERE (${key.map(ident).join(", ")}) > (${key.map(() => "?").join(", ")}) ${order}`);
  let after: unknown[] | null = null;
  return {
    next() {
      const page = (after ? rest.all(...after, batch) : first.all(batch)) as Row[];
      if (page.length) after = key.map((k) => page[page.length - 1][k]);
      return page;
    },
  };
}
