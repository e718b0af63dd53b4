import { inTransaction, actorVia, type RequestContext } from "~/context.server";
import { recordEvent } from "~/audit/events.server";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { setUserStatus, type User } from "./accounts.server";

/**
 * Disables or re-enables a customer account (`user disable|enable`), audited as the context's
 * actor. A disabled account keeps no way in: its sessions end and its open recovery links stop
 * working, in the same transaction. Throws AccountError for an unknown username.
 */
export async function setAccountStatus(context: RequestContext, username: string, status: User["status"]): Promise<User> {
  return inTransaction(context, async (tx) => {
    const user = await setUserStatus(tx.services.db, username, status);
    if (status === "disabled") {
      await deleteAllSessions(tx.services.db, { type: "user", id: user.id });
      await cancelFlows(tx.services.db, { userId: user.id });
    }
    await recordEvent(tx, { event: status === "disabled" ? "account_disabled" : "account_enabled", outcome: "success", userId: user.id, details: { via: actorVia(context.actor) } });
    return user;
  });
}
