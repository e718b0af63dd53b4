import type { Compilable, Insertable } from "kysely";
import { engineOf, executeSql, type Db, type Engine } from "./db.server";
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
  const fields = row as Record<string, unknown>;
  // The key and the values in one pass over the row, without an array per column.
  let key = `${engineOf(db)}\u0000${table}\u0000${returning ?? ""}`;
  const values: unknown[] = [];
  for (const column in fields) {
    const value = fields[column];
    if (value === undefined) continue;
    key += `\u0000${column}`;
    values.push(value);
  }
  let text = texts.get(key);
  if (!text) {
    const defined = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    const insert = db.insertInto(table).values(defined as never);
    text = (returning ? insert.returning(returning as never) : insert).compile().sql;
    texts.set(key, text);
  }
  const result = await executeSql<Record<string, unknown>>(db, text, values);
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
    return (await executeSql<R>(db, sql, parameters)).rows;
  };
}
