import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import { insertRow } from "~/db/compiled.server";
import type { RecoveryFlowsTable, RecoverySessionsTable } from "~/db/schema";

/**
 * recovery_flows and recovery_sessions (the browser holds on a flow). Ending an account's flows
 * exists here once, and so does opening one: every path that starts a flow goes through openFlow.
 * Spending a single-use thing (the flow, a code, an attempt) is one conditional UPDATE whose
 * affected-row count decides who won (TOK-04, OTP-03, L7).
 */

export type Flow = Omit<Selectable<RecoveryFlowsTable>, "purpose" | "channel" | "status" | "requested_via"> & {
  purpose: "reset" | "unlock";
  channel: "email" | "sms" | "none";
  status: "active" | "consumed" | "cancelled";
  requested_via: "email" | "phone";
};

export type RecoverySession = Omit<Selectable<RecoverySessionsTable>, "secret_hash" | "state"> & {
  state: "pending" | "verified" | "second_factor_verified";
};

/** A flow as it is opened; `requested_via` left out takes the column's default ("email"). */
export type NewFlow = Omit<Flow, "code_attempts" | "failed_count" | "status" | "consumed_at" | "requested_via"> & {
  requested_via?: Flow["requested_via"];
};

/** A browser hold as it is opened; only the hash of the cookie's secret is stored. */
export type NewHold = RecoverySession & { secret_hash: Buffer };

export async function openFlow(db: Db, flow: NewFlow): Promise<void> {
  await insertRow(db, "recovery_flows", flow);
}

export async function findFlow(db: Db, id: string): Promise<Flow | undefined> {
  return (await db.selectFrom("recovery_flows").selectAll().where("id", "=", id).executeTakeFirst()) as Flow | undefined;
}

export async function findFlowByTokenHash(db: Db, linkTokenHash: string): Promise<Flow | undefined> {
  return (await db.selectFrom("recovery_flows").selectAll().where("link_token_hash", "=", linkTokenHash).executeTakeFirst()) as
    | Flow
    | undefined;
}

/** Recent recovery attempts of an account, without secrets (for support staff). */
export async function recentFlows(db: Db, userId: string, limit = 20) {
  return (await db
    .selectFrom("recovery_flows")
    .select(["id", "purpose", "channel", "status", "failed_count", "created_at", "expires_at", "consumed_at"])
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute()) as Pick<Flow, "id" | "purpose" | "channel" | "status" | "failed_count" | "created_at" | "expires_at" | "consumed_at">[];
}

/**
 * Cancels open flows, the one place that does: one flow (a browser's earlier request), an
 * account's flows of one purpose (a new flow replaces them), or all of an account's flows.
 * Cancelling one flow or one purpose keeps the browser holds, which then read "replaced"; ending
 * all of an account's flows (a finished reset, a contact or factor change, a disabled account)
 * also drops every hold, so no browser keeps a step it was on.
 */
export async function cancelFlows(db: Db, which: { flowId: string } | { userId: string; purpose?: Flow["purpose"] }): Promise<void> {
  let query = db.updateTable("recovery_flows").set({ status: "cancelled", code_hash: null }).where("status", "=", "active");
  if ("flowId" in which) query = query.where("id", "=", which.flowId);
  else {
    query = query.where("user_id", "=", which.userId);
    if (which.purpose) query = query.where("purpose", "=", which.purpose);
  }
  await query.execute();
  if ("userId" in which && !which.purpose) {
    const userId = which.userId;
    await db
      .deleteFrom("recovery_sessions")
      .where("flow_id", "in", (eb) => eb.selectFrom("recovery_flows").select("id").where("user_id", "=", userId))
      .execute();
  }
}

/** Ends a flow for good; false when another request completed it first or it has expired (TOK-04). */
export async function consumeFlow(db: Db, flowId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("recovery_flows")
    .set({ status: "consumed", consumed_at: now, code_hash: null })
    .where("id", "=", flowId)
    .where("status", "=", "active")
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Claims one code attempt before the comparison, so parallel guesses each cost one (L7). Returns
 * the attempts used including this one, or null when the flow is closed or out of attempts.
 */
export async function claimCodeAttempt(db: Db, flowId: string, maxAttempts: number): Promise<number | null> {
  const row = await db
    .updateTable("recovery_flows")
    .set((eb) => ({ code_attempts: eb("code_attempts", "+", 1) }))
    .where("id", "=", flowId)
    .where("status", "=", "active")
    .where("code_attempts", "<", maxAttempts)
    .returning("code_attempts")
    .executeTakeFirst();
  return row ? row.code_attempts : null;
}

/** Clears the code if it is still the one compared: only one request wins it (OTP-03). */
export async function spendCode(db: Db, flowId: string, codeHash: string): Promise<boolean> {
  const result = await db.updateTable("recovery_flows").set({ code_hash: null }).where("id", "=", flowId).where("code_hash", "=", codeHash).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function countCodeFailure(db: Db, flowId: string): Promise<void> {
  await db
    .updateTable("recovery_flows")
    .set((eb) => ({ failed_count: eb("failed_count", "+", 1) }))
    .where("id", "=", flowId)
    .execute();
}

/**
 * A fresh link and code for an open flow (OTP-06); the attempt count starts again, the failure
 * count carries on (OTP-05). False when the flow closed meanwhile.
 */
export async function reissueFlow(
  db: Db,
  flowId: string,
  fresh: Pick<Flow, "link_token_hash" | "code_hash" | "last_sent_at" | "expires_at" | "code_expires_at" | "channel">,
): Promise<boolean> {
  const result = await db
    .updateTable("recovery_flows")
    .set({ ...fresh, code_attempts: 0 })
    .where("id", "=", flowId)
    .where("status", "=", "active")
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function openHold(db: Db, hold: NewHold): Promise<void> {
  await insertRow(db, "recovery_sessions", hold);
}

/**
 * Opens a hold only while its flow is still open and unexpired, in one statement, so a hold is
 * never handed out on a flow another request has just completed. False when the flow has closed.
 */
export async function openHoldOnLiveFlow(db: Db, hold: NewHold, now: number): Promise<boolean> {
  const result = await db
    .insertInto("recovery_sessions")
    .columns(["id", "secret_hash", "flow_id", "state", "created_at", "expires_at"])
    .expression((eb) =>
      eb
        .selectFrom("recovery_flows")
        .select([
          eb.val(hold.id).as("id"),
          eb.val(hold.secret_hash).as("secret_hash"),
          "recovery_flows.id as flow_id",
          eb.val(hold.state).as("state"),
          eb.val(hold.created_at).as("created_at"),
          eb.val(hold.expires_at).as("expires_at"),
        ])
        .where("recovery_flows.id", "=", hold.flow_id)
        .where("recovery_flows.status", "=", "active")
        .where("recovery_flows.expires_at", ">", now),
    )
    .executeTakeFirst();
  return result.numInsertedOrUpdatedRows === 1n;
}

export async function findHold(db: Db, id: string): Promise<(RecoverySession & { secret_hash: Buffer }) | undefined> {
  return (await db.selectFrom("recovery_sessions").selectAll().where("id", "=", id).executeTakeFirst()) as
    | (RecoverySession & { secret_hash: Buffer })
    | undefined;
}

export async function dropHold(db: Db, id: string): Promise<void> {
  await db.deleteFrom("recovery_sessions").where("id", "=", id).execute();
}

export async function extendHold(db: Db, id: string, expiresAt: number): Promise<void> {
  await db.updateTable("recovery_sessions").set({ expires_at: expiresAt }).where("id", "=", id).execute();
}

/** Moves a verified hold on to "second factor passed"; false when it was not (or no longer) verified. */
export async function markHoldSecondFactor(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable("recovery_sessions")
    .set({ state: "second_factor_verified" })
    .where("id", "=", id)
    .where("state", "=", "verified")
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
