import type { AppLoadContext } from "@remix-run/node";
import { audit, type AuditInput } from "~/audit/audit.server";

/**
 * One call records a security event twice: in the hash-chained audit table and as a JSON log
 * line, each with UTC time, account reference, client IP, user agent and outcome (LOG-01).
 * Callers pass ids, counts and outcomes only, never tokens, codes or passwords (LOG-02).
 * Inside a transaction, pass its context copy (`tx`): the row then commits with the change it
 * records, or not at all. The log line is written at once either way.
 */
export async function recordEvent(
  context: AppLoadContext,
  input: Omit<AuditInput, "actorType" | "ip" | "userAgent"> & { actorType?: AuditInput["actorType"] },
): Promise<void> {
  const { db, clock, logger } = context.services;
  const full: AuditInput = {
    actorType: input.actorType ?? (input.userId ? "user" : "anonymous"),
    ...input,
    ip: context.clientIp,
    userAgent: context.userAgent,
  };
  await audit(db, clock.now(), full);
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
