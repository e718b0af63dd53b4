import type { RequestContext } from "~/context.server";
import { getTicket, ticketAccount } from "~/tickets/tickets.server";
import { checkNewContact, decideRequest, requestOrRun, type Decision } from "./approvals.server";
import { contactCheckMessage, decisionMessage, riskyMessage } from "./approval-messages";
import type { Staff } from "./staff.server";

export type IntentAnswer = { ok: boolean; status: number; message: string };

const DECISIONS: readonly Decision[] = ["approve", "decline", "cancel"];

/**
 * The ticket page's four-eyes intents (issue 14): `approval_request` (lift a compromise lock),
 * `contact_change` (replace a lost e-mail or phone) and `approval_decide` (approve, decline, cancel).
 * Null for an intent that is not one of these.
 */
export async function handleApprovalIntent(context: RequestContext, staff: Staff, ticketId: string, intent: string, form: FormData): Promise<IntentAnswer | null> {
  const field = (name: string, max = 4000) => String(form.get(name) ?? "").slice(0, max);
  const answer = (ok: boolean, a: { status: number; message: string }) => ({ ok, ...a });
  if (intent === "approval_request") {
    if (field("approvalAction") !== "lift_compromise_lock") return answer(false, { status: 400, message: "Choose an action." });
    const outcome = await requestOrRun(context, staff, ticketId, { action: "lift_compromise_lock", note: field("note") });
    return answer(outcome.ok, riskyMessage(outcome, "lift the reported-compromise lock"));
  }
  if (intent === "contact_change") {
    const ticket = await getTicket(context.services.db, ticketId);
    const user = ticket ? await ticketAccount(context.services.db, ticket) : null;
    if (!ticket || !user) return answer(false, { status: 409, message: "This ticket matches no account. Ask the customer for the username first." });
    const check = await checkNewContact(context, user, field("kind", 10), field("value", 320));
    if (!check.ok) return answer(false, contactCheckMessage(check));
    const outcome = await requestOrRun(context, staff, ticketId, { action: "change_contact", note: field("note"), detail: { kind: check.kind, value: check.value } });
    const what = `replace the ${check.kind === "email" ? "email address" : "phone number"} with ${check.value}`;
    if (outcome.ok && !outcome.requested) {
      return answer(true, { status: 200, message: `A code was sent to ${check.value}. It is saved when the customer types it at /assisted-recovery/new-contact.` });
    }
    return answer(outcome.ok, riskyMessage(outcome, what));
  }
  if (intent === "approval_decide") {
    const decision = DECISIONS.find((d) => d === field("decision", 10));
    if (!decision) return answer(false, { status: 400, message: "Choose approve or decline." });
    const outcome = await decideRequest(context, staff, ticketId, { approvalId: field("approvalId", 64), decision, note: field("note") });
    return answer(outcome.ok, decisionMessage(outcome));
  }
  return null;
}
