import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import { insertRow } from "~/db/compiled.server";
import type { WebhookEndpointsTable } from "~/db/schema";

/**
 * webhook_endpoints (migration 0022, docs/decisions/0020-webhooks.md): where signed events go.
 * Secrets are stored sealed (the caller seals and opens them); deliveries themselves are outbox
 * rows on the channel 'webhook', one per (event, endpoint).
 */

export type WebhookEndpoint = Omit<Selectable<WebhookEndpointsTable>, "status"> & { status: "active" | "disabled" };

export async function insertWebhookEndpoint(db: Db, row: Pick<WebhookEndpoint, "id" | "url" | "event_types" | "secret" | "created_at">): Promise<void> {
  await insertRow(db, "webhook_endpoints", { ...row, status: "active" });
}

export async function listWebhookEndpoints(db: Db): Promise<WebhookEndpoint[]> {
  return (await db.selectFrom("webhook_endpoints").selectAll().orderBy("created_at").orderBy("id").execute()) as WebhookEndpoint[];
}

export async function findWebhookEndpoint(db: Db, id: string): Promise<WebhookEndpoint | undefined> {
  return (await db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirst()) as WebhookEndpoint | undefined;
}

/** The active endpoints with what they subscribe to: read inside the transaction that emits an event. */
export async function activeWebhookSubscriptions(db: Db): Promise<{ id: string; event_types: string }[]> {
  return db.selectFrom("webhook_endpoints").select(["id", "event_types"]).where("status", "=", "active").execute();
}

/** True when the endpoint existed. Its queued deliveries are dropped by the sender (no endpoint). */
export async function deleteWebhookEndpoint(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** A new secret; the old one keeps signing until `previousUntil`. True when the endpoint exists. */
export async function rotateWebhookSecret(db: Db, id: string, secret: string, previous: string, previousUntil: number): Promise<boolean> {
  const r = await db
    .updateTable("webhook_endpoints")
    .set({ secret, previous_secret: previous, previous_secret_until: previousUntil })
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A delivery went through: the endpoint is healthy again. */
export async function recordWebhookSuccess(db: Db, id: string, now: number, result: string): Promise<void> {
  await db
    .updateTable("webhook_endpoints")
    .set({ failing_since: null, last_attempt_at: now, last_success_at: now, last_result: result })
    .where("id", "=", id)
    .execute();
}

/**
 * A delivery failed: failing_since keeps the first failure since the last success (one statement,
 * so two workers failing at once agree). Returns the failing_since now stored, or null when the
 * endpoint is gone.
 */
export async function recordWebhookFailure(db: Db, id: string, now: number, result: string): Promise<number | null> {
  const row = await db
    .updateTable("webhook_endpoints")
    .set((eb) => ({ failing_since: eb.fn.coalesce("failing_since", eb.val(now)), last_attempt_at: now, last_result: result }))
    .where("id", "=", id)
    .returning("failing_since")
    .executeTakeFirst();
  return row ? Number(row.failing_since) : null;
}

/** Disables an active endpoint; true only for the call that disabled it (conditional write). */
export async function disableWebhookEndpoint(db: Db, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable("webhook_endpoints")
    .set({ status: "disabled", disabled_at: now })
    .where("id", "=", id)
    .where("status", "=", "active")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The e-mail addresses of the active admin staff members (who manage webhooks). */
export async function activeAdminEmails(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("staff").select("email").where("role", "=", "admin").where("status", "=", "active").orderBy("email").execute();
  return rows.map((r) => r.email);
}
