import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { migrate, openDatabase, type Db, type SqliteConnection } from "~/db/db.server";

/**
 * A migrated SQLite file in a temporary folder, the portal's connection to it, and a second,
 * read-only connection that stands for another process (the CLI): it sees only what is committed.
 */
export type SqliteFile = { file: string; connection: SqliteConnection; db: Db; other: BetterSqlite3.Database; close: () => Promise<void> };

export async function migratedSqliteFile(prefix: string): Promise<SqliteFile> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, "portal.sqlite");
  const connection = openDatabase(file);
  await migrate(connection);
  const other = new BetterSqlite3(file, { readonly: true });
  return {
    file,
    connection,
    db: connection.db,
    other,
    async close() {
      other.close();
      await connection.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
