import type { RequestContext } from "~/context.server";
import type { z } from "zod";
import { mailboxKey } from "~/accounts/identifiers";
import { newReference, openTicket } from "./tickets.server";
import type { ticketSchema } from "./schemas";

export type SubmitOutcome = { ok: true; reference: string; slaHours: number } | { ok: false; retryAfterSeconds: number };

/**
 * The public form's submission: limited per client and per contact address, and answered the
 * same whether or not an account matched (AR-03). A bot that filled the honeypot gets a
 * reference-shaped answer and nothing is stored or sent.
 */
export async function submitTicket(context: RequestContext, value: z.infer<typeof ticketSchema>, options: { bot: boolean }): Promise<SubmitOutcome> {
  const { limits, config, metrics } = context.services;
  for (const [name, key] of [
    ["tickets_per_ip", context.clientKey],
    ["tickets_per_contact", mailboxKey(value.contactEmail)],
  ] as const) {
    const verdict = await limits.consume(name, key);
    if (!verdict.ok) {
      metrics.throttled.inc({ limit: name });
      return { ok: false, retryAfterSeconds: verdict.retryAfterSeconds };
    }
  }
  const slaHours = Math.round((value.category === "compromised" ? config.tickets.slaHighMs : config.tickets.slaNormalMs) / 3_600_000);
  if (options.bot) return { ok: true, reference: newReference(), slaHours };
  const ticket = await openTicket(context, value);
  return { ok: true, reference: ticket.reference, slaHours };
}
