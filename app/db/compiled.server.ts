import { CompiledQuery, type Compilable, type Insertable } from "kysely";
import { engineOf, executeCompiled, type Db, type Engine } from "./db.server";
import type { Database } from "./schema";

/**
 * One row into one table, with the SQL built by Kysely once per engine, table and column list and
 * reused after. A reset request writes three rows; building and compiling each insert anew was a
 * fifth of the request's data-layer CPU (issue 11 bench). With `returning`, gives back that
 * column of the new row (e.g. a generated sequence number).
 */
const texts = new Map<string, string>();

export async function insertRow<T extends keyof Database & string>(db: Db, table: T, row: Insertable<Database[T]>): Promise<void>;
export async function insertRow<T extends keyof Database & string>(db: Db, table: T, row: Insertable<Database[T]>, returning: keyof Database[T] & string): Promise<number>;
export async function insertRow<T extends keyof Database & string>(db: Db, table: T, row: Insertable<Database[T]>, returning?: string): Promise<number | void> {
  const entries = Object.entries(row).filter(([, value]) => value !== undefined);
  const engine = engineOf(db);
  const key = `${engine}\u0000${table}\u0000${returning ?? ""}\u0000${entries.map(([column]) => column).join("\u0000")}`;
  let text = texts.get(key);
  if (!text) {
    const insert = db.insertInto(table).values(Object.fromEntries(entries) as never);
    text = (returning ? insert.returning(returning as never) : insert).compile().sql;
    texts.set(key, text);
  }
  const result = await executeCompiled<Record<string, unknown>>(db, CompiledQuery.raw(text, entries.map(([, value]) => value)));
  if (returning) return Number(result.rows[0]![returning]);
}

/**
 * A query of fixed shape on the hot path, built and compiled by Kysely on its first call on each
 * engine and run from the same SQL text after, with `parameters` in the order the first compile
 * put them. Only for queries whose parameters are exactly those values, in that order (one
 * `where` per value).
 */
export function compiledOnce<R>(build: (db: Db, ...parameters: unknown[]) => Compilable<R>): (db: Db, ...parameters: unknown[]) => Promise<R[]> {
  const text: Partial<Record<Engine, string>> = {};
  return async (db, ...parameters) => {
    const engine = engineOf(db);
    const sql = (text[engine] ??= build(db, ...parameters).compile().sql);
    return (await executeCompiled<R>(db, CompiledQuery.raw(sql, parameters))).rows;
  };
}
