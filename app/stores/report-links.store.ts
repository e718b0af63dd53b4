import type { Insertable, Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { ReportTokensTable } from "~/db/schema";

/**
 * report_tokens: the "This wasn't me" links of security notices (L10), one per recipient, single
 * use. A link is spent by one conditional UPDATE whose affected-row count decides.
 */

export type ReportTokenRow = Omit<Selectable<ReportTokensTable>, "channel" | "restore_kind"> & {
  /** Null on links made before per-recipient links (migration 0008). */
  channel: "email" | "sms" | null;
  restore_kind: "email" | "phone" | null;
};

export async function insertReportToken(db: Db, row: Omit<Insertable<ReportTokensTable>, "used_at">): Promise<void> {
  await db.insertInto("report_tokens").values(row).execute();
}

export async function findReportToken(db: Db, tokenHash: string): Promise<ReportTokenRow | undefined> {
  return (await db.selectFrom("report_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst()) as ReportTokenRow | undefined;
}

/** Spends one link; true only for the caller that spent it (of two parallel reports, one wins). */
export async function spendReportToken(db: Db, tokenHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable("report_tokens").set({ used_at: now }).where("token_hash", "=", tokenHash).where("used_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Spends every unspent link of an account; returns how many. */
export async function spendReportTokensOf(db: Db, userId: string, now: number): Promise<number> {
  const result = await db.updateTable("report_tokens").set({ used_at: now }).where("user_id", "=", userId).where("used_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
