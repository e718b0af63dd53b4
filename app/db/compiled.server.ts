import { CompiledQuery, type Compilable, type Insertable } from "kysely";
import type { Db } from "./db.server";
import type { Database } from "./schema";

/**
 * One row into one table, with the SQL built by Kysely once per table and column list and reused
 * after. A reset request writes three rows; building and compiling each insert anew was a fifth of
 * the request's data-layer CPU (issue 11 bench). Returns the new row's rowid.
 */
const texts = new Map<string, string>();

export async function insertRow<T extends keyof Database & string>(db: Db, table: T, row: Insertable<Database[T]>): Promise<number> {
  const entries = Object.entries(row).filter(([, value]) => value !== undefined);
  const key = `${table}\u0000${entries.map(([column]) => column).join("\u0000")}`;
  let text = texts.get(key);
  if (!text) {
    text = db
      .insertInto(table)
      .values(Object.fromEntries(entries) as never)
      .compile().sql;
    texts.set(key, text);
  }
  const result = await db.executeQuery(CompiledQuery.raw(text, entries.map(([, value]) => value)));
  return Number(result.insertId);
}

/**
 * A query of fixed shape on the hot path, built and compiled by Kysely on its first call and run
 * from the same SQL text after, with `parameters` in the order the first compile put them. Only
 * for queries whose parameters are exactly those values, in that order (one `where` per value).
 */
export function compiledOnce<R>(build: (db: Db, ...parameters: unknown[]) => Compilable<R>): (db: Db, ...parameters: unknown[]) => Promise<R[]> {
  let text: string | null = null;
  return async (db, ...parameters) => {
    if (text === null) {
      const compiled = build(db, ...parameters).compile();
      text = compiled.sql;
    }
    return (await db.executeQuery<R>(CompiledQuery.raw(text, parameters))).rows;
  };
}
