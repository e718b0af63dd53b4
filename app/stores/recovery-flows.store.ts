import type { Db } from "~/db/db.server";

/**
 * recovery_flows and recovery_sessions (the browser holds on a flow). Ending an account's flows
 * exists here once.
 */

/** Cancels every open flow of an account and drops every browser hold on them. */
export async function cancelFlowsForUser(db: Db, userId: string): Promise<void> {
  await db.updateTable("recovery_flows").set({ status: "cancelled", code_hash: null }).where("user_id", "=", userId).where("status", "=", "active").execute();
  await db
    .deleteFrom("recovery_sessions")
    .where("flow_id", "in", (eb) => eb.selectFrom("recovery_flows").select("id").where("user_id", "=", userId))
    .execute();
}
