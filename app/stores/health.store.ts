import { sql } from "kysely";
import type { Db } from "~/db/db.server";

/** The cheapest question the database can answer, for /healthz. */
export async function ping(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
