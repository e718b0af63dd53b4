import { inTransaction, type RequestContext } from "~/context.server";
import type { Services } from "~/bind-services.server";
import * as queueStore from "~/stores/ticket-queue.store";
import { recordEvent } from "~/audit/events.server";
import { utcMinute } from "~/ui/format";
import { CATEGORIES, addTicketEvent, type Ticket } from "./tickets.server";

/**
 * Tier 2 and SLA escalation (issue 14). A ticket that passes its SLA due time without a first
 * response moves to tier 2 with high priority, once; staff can escalate by hand with a note.
 * Either way one conditional UPDATE (`… WHERE escalated_at IS NULL`) decides, and in the same
 * transaction the history row, the audit event and the e-mail to ESCALATION_EMAIL (through the
 * outbox) are written: with several nodes sweeping one database, exactly one of them escalates
 * and exactly one e-mail is queued.
 */

/** The portal's own context for the sweep: the system actor, no client. */
export function systemContext(services: Services): RequestContext {
  return { services, actor: { type: "system", id: null }, nonce: "", requestId: "escalation-sweep", clientIp: "system", clientKey: "system", userAgent: "", locale: services.config.defaultLocale };
}

/** Moves `ticket` to tier 2 with its history, audit and e-mail, if it is not yet escalated. */
async function escalate(context: RequestContext, ticket: Ticket, how: "sla" | "manual", why: string, by: { staffId: string; note: string } | null): Promise<boolean> {
  const { clock, config } = context.services;
  const now = clock.now();
  const won = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    if (!(await queueStore.escalateTicket(db, ticket.id, now, how === "sla"))) return false;
    await addTicketEvent(db, ticket.id, now, by ? `staff:${by.staffId}` : "system", "escalated", how === "sla" ? why : by!.note);
    await recordEvent(tx, {
      event: "ticket_escalated",
      outcome: "info",
      ...(by ? { actorType: "staff" as const, actorId: by.staffId } : { actorType: "system" as const }),
      userId: ticket.matched_user_id,
      details: { ticket: ticket.reference, how, tier: 2 },
    });
    await tx.services.send({
      channel: "email",
      to: config.tickets.escalationEmail,
      template: "ticket-escalated",
      payload: {
        appName: config.appName,
        reference: ticket.reference,
        why,
        category: CATEGORIES[ticket.category],
        priority: "high",
        consoleUrl: `${config.appOrigin}/support/tickets/${ticket.id}`,
      },
    });
    return true;
  });
  if (won) context.services.metrics.ticketEscalations.inc({ how });
  return won;
}

/**
 * One sweep: every active ticket past its SLA due time without a first response that is not
 * escalated yet. Returns how many this process escalated (another node may have taken others).
 */
export async function escalateOverdue(context: RequestContext): Promise<number> {
  const { db, clock, config } = context.services;
  let escalated = 0;
  for (;;) {
    const overdue = (await queueStore.findSlaOverdue(db, clock.now(), 100)) as Ticket[];
    let won = 0;
    for (const ticket of overdue) {
      const slaMs = ticket.sla_due_at - ticket.created_at;
      const hours = Math.round((slaMs / 3_600_000) * 10) / 10;
      const fallbackHours = Math.round((ticket.priority === "high" ? config.tickets.slaHighMs : config.tickets.slaNormalMs) / 3_600_000);
      const why = `no first response within the ${slaMs > 0 ? hours : fallbackHours}-hour SLA, due ${utcMinute(ticket.sla_due_at)}`;
      if (await escalate(context, ticket, "sla", why, null)) won++;
    }
    escalated += won;
    // A full page that this process escalated may have more behind it; otherwise done.
    if (overdue.length < 100 || won === 0) return escalated;
  }
}

/** Manual escalation with a note: the same move and e-mail, once (a second one is refused). */
export async function escalateByHand(context: RequestContext, ticket: Ticket, staff: { id: string; name: string }, note: string): Promise<boolean> {
  return escalate(context, ticket, "manual", `escalated by ${staff.name}: ${note}`, { staffId: staff.id, note });
}

/**
 * Runs the sweep every `everyMs` (ESCALATION_SWEEP_SECONDS) in a process that runs the outbox
 * worker. The timer does not keep the process alive; `stop` ends it and waits for a sweep in flight.
 */
export function startEscalationSweep(services: Services, everyMs: number): { stop: () => Promise<void> } {
  const context = systemContext(services);
  let running: Promise<void> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = escalateOverdue(context)
      .then(
        (n) => {
          if (n > 0) services.logger.info({ escalated: n }, "tickets escalated past their SLA");
        },
        (err: unknown) => services.logger.error({ err: err instanceof Error ? err.message : String(err) }, "escalation sweep failed"),
      )
      .finally(() => {
        running = null;
      });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
