import { serializeOn, transaction, type Db } from "~/db/db.server";
import type { Config } from "~/config.server";
import { inTransaction, actorVia, type RequestContext } from "~/context.server";
import { recordEvent } from "~/audit/events.server";
import { audit } from "~/audit/audit.server";
import { enqueue } from "~/delivery/outbox.server";
import { randomId } from "~/security/crypto.server";
import {
  activeAdminEmails,
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  type WebhookEndpoint,
} from "~/stores/webhooks.store";
import { WEBHOOK_EVENT_TYPES } from "~/webhooks/events.server";
import { newWebhookSecret, openWebhookSecret, sealWebhookSecret } from "~/webhooks/secrets.server";
import { resolveProblem, urlProblem, type WebhookTargetRules } from "~/webhooks/url.server";

/**
 * Managing webhook endpoints (issue 17, docs/decisions/0020-webhooks.md): the CLI adds, lists,
 * removes and rotates; admins see a read-only list in the console. Every change is audited, never
 * with the secret. The secret is shown once, when it is made.
 */

/** After `rotate-secret`, the old secret keeps signing (beside the new one) for this long. */
export const WEBHOOK_ROTATION_GRACE_MS = 24 * 60 * 60_000;

export function webhookRules(config: Config): WebhookTargetRules {
  return { production: config.isProduction, allowPrivate: config.webhooks.allowPrivate };
}

/** The URL without its query string: a receiver may put a token there, which audit rows and lists do not show. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "(unreadable URL)";
  }
}

export function parseEventTypes(raw: string): string[] | null {
  const types = [...new Set(raw.split(",").map((t) => t.trim()).filter(Boolean))];
  if (types.length === 0) return null;
  if (types.includes("*")) return ["*"];
  return types.every((t) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t)) ? types : null;
}

export type AddOutcome = { ok: true; id: string; secret: string } | { ok: false; reason: string };

export async function addWebhook(context: RequestContext, input: { url: string; events: string }): Promise<AddOutcome> {
  const { config, clock } = context.services;
  const types = parseEventTypes(input.events);
  if (!types) return { ok: false, reason: `--events must be * or a comma-separated list of: ${WEBHOOK_EVENT_TYPES.join(", ")}` };
  const rules = webhookRules(config);
  // The literal address and every address DNS gives now; checked again at each delivery.
  const problem = urlProblem(input.url, rules) ?? (await resolveProblem(input.url, rules));
  if (problem) {
    await recordEvent(context, { event: "webhook_endpoint_refused", outcome: "failure", details: { url: displayUrl(input.url), reason: problem.slice(0, 200), via: actorVia(context.actor) } });
    return { ok: false, reason: `refused URL: ${problem}` };
  }
  const id = `we_${randomId(12)}`;
  const secret = newWebhookSecret();
  await inTransaction(context, async (tx) => {
    await insertWebhookEndpoint(tx.services.db, { id, url: input.url, event_types: types.join(","), secret: sealWebhookSecret(config.secretKey, secret), created_at: clock.now() });
    await recordEvent(tx, { event: "webhook_endpoint_added", outcome: "success", details: { endpoint: id, url: displayUrl(input.url), events: types.join(",").slice(0, 500), via: actorVia(context.actor) } });
  });
  return { ok: true, id, secret };
}

export async function removeWebhook(context: RequestContext, id: string): Promise<boolean> {
  return inTransaction(context, async (tx) => {
    const removed = await deleteWebhookEndpoint(tx.services.db, id);
    if (removed) await recordEvent(tx, { event: "webhook_endpoint_removed", outcome: "success", details: { endpoint: id, via: actorVia(context.actor) } });
    return removed;
  });
}

/**
 * A new secret; the previous one keeps signing for WEBHOOK_ROTATION_GRACE_MS, so each delivery
 * carries both signatures (Standard Webhooks allows several) while receivers switch over.
 */
export async function rotateWebhook(context: RequestContext, id: string): Promise<{ ok: true; secret: string; previousUntil: number } | { ok: false }> {
  const { config, clock } = context.services;
  const secret = newWebhookSecret();
  const sealed = sealWebhookSecret(config.secretKey, secret);
  const previousUntil = clock.now() + WEBHOOK_ROTATION_GRACE_MS;
  const done = await inTransaction(context, async (tx) => {
    // Read, then write: two rotations at once must not both keep the same "previous" secret (0017).
    await serializeOn(tx.services.db, `webhook_endpoint:${id}`);
    const endpoint = await findWebhookEndpoint(tx.services.db, id);
    if (!endpoint) return false;
    // Re-sealed as it is (the stored value is already sealed); checked readable first.
    openWebhookSecret(config.secretKey, endpoint.secret);
    if (!(await rotateWebhookSecret(tx.services.db, id, sealed, endpoint.secret, previousUntil))) return false;
    await recordEvent(tx, { event: "webhook_secret_rotated", outcome: "success", details: { endpoint: id, previous_valid_until: previousUntil, via: actorVia(context.actor) } });
    return true;
  });
  return done ? { ok: true, secret, previousUntil } : { ok: false };
}

export type WebhookListItem = {
  id: string;
  url: string;
  events: string;
  status: "active" | "disabled";
  lastResult: string | null;
  lastAttemptAt: number | null;
  failingSince: number | null;
  createdAt: number;
};

export async function listWebhooks(context: RequestContext): Promise<WebhookListItem[]> {
  return (await listWebhookEndpoints(context.services.db)).map((e) => ({
    id: e.id,
    url: displayUrl(e.url),
    events: e.event_types,
    status: e.status,
    lastResult: e.last_result,
    lastAttemptAt: e.last_attempt_at,
    failingSince: e.failing_since,
    createdAt: e.created_at,
  }));
}

/** The console's read-only list (admins only, audited view). */
export async function webhooksOverview(context: RequestContext, staffId: string) {
  const endpoints = await listWebhooks(context);
  await recordEvent(context, { event: "webhooks_viewed", outcome: "info", actorType: "staff", actorId: staffId, details: { endpoints: endpoints.length } });
  return { endpoints };
}

/**
 * An endpoint was disabled after failing for 24 h (the sender calls this once): audited as
 * `webhook_endpoint_disabled` and e-mailed to every active admin, since admins are the ones who
 * manage webhooks and see them in the console; SUPPORT_EMAIL (the ticket inbox) only when there is
 * no active admin. One transaction, on the root handle.
 */
export async function notifyWebhookDisabled(db: Db, now: number, config: Config, endpoint: WebhookEndpoint, failingSince: number): Promise<void> {
  const messageDomain = new URL(config.appOrigin).hostname;
  await transaction(db, async (tx) => {
    await audit(tx, now, {
      event: "webhook_endpoint_disabled",
      outcome: "failure",
      actorType: "system",
      details: { endpoint: endpoint.id, url: displayUrl(endpoint.url), failing_since: failingSince, last_result: endpoint.last_result ?? null },
    });
    const admins = await activeAdminEmails(tx);
    const to = admins.length > 0 ? admins : [config.supportEmail];
    for (const address of to) {
      await enqueue(tx, now, messageDomain, {
        channel: "email",
        to: address,
        template: "webhook-disabled",
        payload: {
          appName: config.appName,
          endpointId: endpoint.id,
          url: displayUrl(endpoint.url),
          failingSince: new Date(failingSince).toISOString().replace("T", " ").slice(0, 16) + " UTC",
          lastResult: endpoint.last_result ?? "unknown",
          consoleUrl: `${config.appOrigin}/support/webhooks`,
        },
      });
    }
  });
}
