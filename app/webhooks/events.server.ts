import type { Db } from "~/db/db.server";
import { insertOutboxMessage } from "~/stores/outbox.store";
import { findUserById } from "~/stores/users.store";
import { activeWebhookSubscriptions } from "~/stores/webhooks.store";
import { randomId } from "~/security/crypto.server";

/** Every event type an endpoint may subscribe to (`*` subscribes to all, including later ones). */
export const WEBHOOK_EVENT_TYPES = [
  "password.reset",
  "password.changed",
  "account.locked",
  "account.unlocked",
  "account.compromise_reported",
  "factor.added",
  "factor.removed",
  "contact.changed",
  "ticket.created",
  "ticket.escalated",
  "ticket.resolved",
  "session.revoked_all",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * Which audit events are webhook events, and what the event adds to `data`. recordEvent enqueues
 * them in the transaction that records the audit row (so with the change itself): an event goes
 * out if and only if its change commits (one audit event may stand for two webhook events). Each of these audit events is recorded inside its
 * change's transaction (checked for issue 17; see docs/decisions/0020-webhooks.md).
 */
type Details = Record<string, string | number | boolean | null> | undefined;
/** `when`: the audit event stands for the webhook event only when its details say so. */
type Mapped = { type: WebhookEventType; extra?: Record<string, string>; when?: (details: Details) => boolean };
/** An unlock that ended no lock (nothing was locked) is not an account.unlocked. */
const endedLocks = (details: Details) => details?.locks === undefined || Number(details.locks) > 0;
export const AUDIT_TO_WEBHOOK: Readonly<Record<string, Mapped | readonly Mapped[]>> = {
  password_reset_completed: { type: "password.reset" },
  password_changed: { type: "password.changed" },
  account_locked: { type: "account.locked" },
  account_unlocked: { type: "account.unlocked", when: endedLocks },
  // Staff's "Unlock the account" on a ticket is audited as the ticket action only.
  ticket_unlock: { type: "account.unlocked", extra: { how: "staff_ticket" }, when: (d) => Number(d?.locks ?? 0) > 0 },
  // A report locks the account in the same transaction, recorded as this one audit event only.
  compromise_reported: [{ type: "account.compromise_reported" }, { type: "account.locked", extra: { reason: "reported_compromise" } }],
  passkey_added: { type: "factor.added", extra: { factor: "passkey" } },
  totp_enabled: { type: "factor.added", extra: { factor: "totp" } },
  recovery_codes_generated: { type: "factor.added", extra: { factor: "recovery_codes" } },
  passkey_removed: { type: "factor.removed", extra: { factor: "passkey" } },
  totp_disabled: { type: "factor.removed", extra: { factor: "totp" } },
  factors_removed: { type: "factor.removed", extra: { factor: "all" } },
  email_changed: { type: "contact.changed", extra: { contact: "email" } },
  phone_changed: { type: "contact.changed", extra: { contact: "phone" } },
  email_restored: { type: "contact.changed", extra: { contact: "email", how: "compromise_report" } },
  phone_restored: { type: "contact.changed", extra: { contact: "phone", how: "compromise_report" } },
  ticket_opened: { type: "ticket.created" },
  ticket_escalated: { type: "ticket.escalated" },
  ticket_close: { type: "ticket.resolved", extra: { resolution: "closed" } },
  ticket_reject: { type: "ticket.resolved", extra: { resolution: "rejected" } },
  other_sessions_ended: { type: "session.revoked_all" },
};

/**
 * Detail keys and values that may leave the portal: reason codes, counts, flags and ticket
 * references. Anything that might be (or contain) a password, code, token, address or phone number
 * stays in the audit log only (audit details never hold secrets either, LOG-02: this is a second net).
 */
const SECRETISH = /pass|code|token|secret|key|phone|email|mail|ip|agent|note|hash|link|contact_value|to$|address/i;
const SAFE_STRING = /^[A-Za-z0-9_.:-]{1,64}$/;

export function webhookData(details: Record<string, string | number | boolean | null> | undefined): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(details ?? {})) {
    if (SECRETISH.test(key) && !/_(count|revoked|removed)$|^sessions_|^locks$/.test(key)) continue;
    if (typeof value === "string" && !SAFE_STRING.test(value)) continue;
    // A string of 6 or more digits could be a code or a phone number.
    if (typeof value === "string" && /\d{6,}/.test(value)) continue;
    out[key] = value;
  }
  return out;
}

export function subscribes(eventTypes: string, type: string): boolean {
  return eventTypes.split(",").some((t) => t === "*" || t === type);
}

/**
 * Queues one outbox row per subscribed active endpoint for an audit event that maps to a webhook
 * event; nothing when it does not or nobody subscribes. Runs on `db`: the caller's transaction.
 * The body is built here, once; the sender only signs it. The outbox row's message_id is the
 * Standard Webhooks `webhook-id`, stable across retries.
 */
export async function enqueueWebhookEvent(
  db: Db,
  now: number,
  event: { auditEvent: string; auditSeq: number; userId?: string | null; details?: Record<string, string | number | boolean | null> },
): Promise<number> {
  const found = AUDIT_TO_WEBHOOK[event.auditEvent];
  if (!found) return 0;
  const all = (Array.isArray(found) ? (found as readonly Mapped[]) : [found as Mapped]).filter((m) => !m.when || m.when(event.details));
  if (all.length === 0) return 0;
  const subscriptions = await activeWebhookSubscriptions(db);
  if (subscriptions.length === 0) return 0;
  const user = event.userId ? await findUserById(db, event.userId) : undefined;
  let queued = 0;
  for (const [i, mapped] of all.entries()) {
    const endpoints = subscriptions.filter((e) => subscribes(e.event_types, mapped.type));
    queued += await queueFor(db, now, endpoints, mapped, { ...event, eventId: all.length > 1 ? `evt_${event.auditSeq}_${i + 1}` : `evt_${event.auditSeq}` }, user?.username ?? null);
  }
  return queued;
}

async function queueFor(
  db: Db,
  now: number,
  endpoints: { id: string }[],
  mapped: Mapped,
  event: { auditEvent: string; eventId: string; userId?: string | null; details?: Record<string, string | number | boolean | null> },
  username: string | null,
): Promise<number> {
  if (endpoints.length === 0) return 0;
  const body = JSON.stringify({
    type: mapped.type,
    timestamp: new Date(now).toISOString(),
    data: {
      event_id: event.eventId,
      audit_event: event.auditEvent,
      account_id: event.userId ?? null,
      username,
      ...webhookData(event.details),
      ...mapped.extra,
    },
  });
  for (const endpoint of endpoints) {
    const id = randomId();
    await insertOutboxMessage(db, {
      id,
      channel: "webhook",
      recipient: endpoint.id,
      template: mapped.type,
      payload: JSON.stringify({ body }),
      message_id: `msg_${id}`,
      next_attempt_at: now,
      created_at: now,
    });
  }
  return endpoints.length;
}
