import type { Db } from "~/db/db.server";

/**
 * The first store of the data layer (issue 11): recovery_flows and recovery_sessions writes that
 * modules on lower floors than recovery/ need. Ending an account's flows exists here once.
 */

/** Cancels every open flow of an account and drops every browser hold on them. Call inside the caller's transaction. */
export function cancelFlowsForUser(db: Db, userId: string): void {
  db.prepare("UPDATE recovery_flows SET status = 'cancelled', code_hash = NULL WHERE user_id = ? AND status = 'active'").run(userId);
  db.prepare("DELETE FROM recovery_sessions WHERE flow_id IN (SELECT id FROM recovery_flows WHERE user_id = ?)").run(userId);
}
