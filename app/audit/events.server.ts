import type { Actor, RequestContext } from "~/context.server";
import { audit, type AuditInput } from "~/audit/audit.server";
import { enqueueWebhookEvent } from "~/webhooks/events.server";

/**
 * The audit row's actor when the caller names none. A customer context keeps today's rows: "user"
 * when the event concerns an account, "anonymous" otherwise, with no actor id (the customer's
 * session is not part of the context; callers that know it pass actorId).
 */
function actorOf(actor: Actor, userId: string | null | undefined): Pick<AuditInput, "actorType" | "actorId"> {
  switch (actor.type) {
    case "customer":
      return { actorType: userId ? "user" : "anonymous" };
    case "staff":
      return { actorType: "staff", actorId: actor.id };
    case "system":
      return { actorType: "system" };
    case "operator":
      return { actorType: "operator", actorId: actor.id };
    case "api_key":
      return { actorType: "api_key", actorId: actor.id };
  }
}

/**
 * One call records a security event twice: in the hash-chained audit table and as a JSON log
 * line, each with UTC time, account reference, client IP, user agent and outcome (LOG-01).
 * Callers pass ids, counts and outcomes only, never tokens, codes or passwords (LOG-02).
 * Inside a transaction, pass its context copy (`tx`): the row then commits with the change it
 * records, or not at all. The log line is written at once either way.
 */
export async function recordEvent(
  context: RequestContext,
  input: Omit<AuditInput, "actorType" | "ip" | "userAgent"> & { actorType?: AuditInput["actorType"] },
): Promise<void> {
  const { db, clock, logger } = context.services;
  const { actorType, ...rest } = input;
  const full: AuditInput = {
    // A caller that names the actor type names the whole actor; the context fills in otherwise.
    ...(actorType ? { actorType } : actorOf(context.actor, input.userId)),
    ...rest,
    // An operator command has no network client: its rows keep no address, as they always have.
    ip: context.actor.type === "operator" ? null : context.clientIp,
    userAgent: context.actor.type === "operator" ? null : context.userAgent,
  };
  const now = clock.now();
  const seq = await audit(db, now, full);
  // Webhook events (issue 17) are audit events mapped to a type (app/webhooks/events.server.ts):
  // queued on the same handle, so inside the caller's transaction they commit with the change.
  await enqueueWebhookEvent(db, now, { auditEvent: full.event, auditSeq: seq, userId: full.userId, details: full.details });
  logger.info(
    {
      event: full.event,
      outcome: full.outcome,
      userId: full.userId ?? null,
      ip: full.ip,
      userAgent: full.userAgent,
      requestId: context.requestId,
      ...full.details,
    },
    "security event",
  );
}
