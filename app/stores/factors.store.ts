import type { Selectable } from "kysely";
import { transaction, type Db } from "~/db/db.server";
import type { PasskeysTable, UserTotpTable, WebauthnChallengesTable } from "~/db/schema";

/**
 * A customer's stronger factors: passkeys, the authenticator app (user_totp), recovery codes, and
 * the WebAuthn challenges that passkey ceremonies spend. Single-use things (a TOTP step, a recovery
 * code, a challenge) are spent by one conditional statement whose affected-row count decides, so two
 * parallel submissions never both pass (MFA-03, MFA-04, MFA-05, L7).
 */

export type PasskeyRow = Selectable<PasskeysTable>;
export type TotpRow = Selectable<UserTotpTable>;
export type ChallengeRow = Selectable<WebauthnChallengesTable>;

// ---- passkeys -------------------------------------------------------------------------------

export async function listPasskeys(db: Db, userId: string): Promise<PasskeyRow[]> {
  return db.selectFrom("passkeys").selectAll().where("user_id", "=", userId).orderBy("created_at").execute();
}

export async function findPasskey(db: Db, id: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom("passkeys").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function insertPasskey(db: Db, row: Omit<PasskeyRow, "last_used_at">): Promise<void> {
  await db.insertInto("passkeys").values(row).execute();
}

/** After a verified assertion: the authenticator's new signature counter and when it was used. */
export async function recordPasskeyUse(db: Db, id: string, counter: number, now: number): Promise<void> {
  await db.updateTable("passkeys").set({ counter, last_used_at: now }).where("id", "=", id).execute();
}

/** Removes one of the account's passkeys; false when it is not (or no longer) theirs. */
export async function deletePasskey(db: Db, id: string, userId: string): Promise<boolean> {
  const result = await db.deleteFrom("passkeys").where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Removes the account's passkeys, or those added at or after `since`; returns how many. */
export async function deletePasskeys(db: Db, userId: string, since?: number): Promise<number> {
  let query = db.deleteFrom("passkeys").where("user_id", "=", userId);
  if (since !== undefined) query = query.where("created_at", ">=", since);
  return Number((await query.executeTakeFirst()).numDeletedRows);
}

/** The account's passkeys added at or after `since`, oldest first. */
export async function listPasskeysSince(db: Db, userId: string, since: number): Promise<Pick<PasskeyRow, "id" | "name" | "created_at">[]> {
  return db.selectFrom("passkeys").select(["id", "name", "created_at"]).where("user_id", "=", userId).where("created_at", ">=", since).orderBy("created_at").execute();
}

// ---- authenticator app ----------------------------------------------------------------------

export async function findTotp(db: Db, userId: string): Promise<TotpRow | undefined> {
  return db.selectFrom("user_totp").selectAll().where("user_id", "=", userId).executeTakeFirst();
}

/** Starts a set-up over any earlier one: unconfirmed, with a fresh replay cache. */
export async function saveTotpSetup(db: Db, userId: string, encryptedSecret: string, now: number): Promise<void> {
  await db
    .insertInto("user_totp")
    .values({ user_id: userId, secret: encryptedSecret, confirmed_at: null, last_step: 0, created_at: now })
    .onConflict((oc) =>
      oc.column("user_id").doUpdateSet((eb) => ({
        secret: eb.ref("excluded.secret"),
        confirmed_at: null,
        last_step: 0,
        created_at: eb.ref("excluded.created_at"),
      })),
    )
    .execute();
}

/**
 * Spends a matched time step: this step and every earlier one are spent (MFA-04). The condition
 * lets exactly one of two parallel submissions of one code through (L7).
 */
export async function spendTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db.updateTable("user_totp").set({ last_step: step }).where("user_id", "=", userId).where("last_step", "<", step).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function markTotpConfirmed(db: Db, userId: string, now: number): Promise<void> {
  await db.updateTable("user_totp").set({ confirmed_at: now }).where("user_id", "=", userId).execute();
}

/** Removes the account's authenticator (confirmed or still being set up); returns 1 or 0. */
export async function deleteTotp(db: Db, userId: string): Promise<number> {
  return Number((await db.deleteFrom("user_totp").where("user_id", "=", userId).executeTakeFirst()).numDeletedRows);
}

// ---- recovery codes -------------------------------------------------------------------------

export async function countRecoveryCodesLeft(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom("recovery_codes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many codes were created at or after `since`, and when the first of them was. */
export async function recoveryCodesSince(db: Db, userId: string, since: number): Promise<{ n: number; at: number | null }> {
  const row = await db
    .selectFrom("recovery_codes")
    .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min<number | null>("created_at").as("at")])
    .where("user_id", "=", userId)
    .where("created_at", ">=", since)
    .executeTakeFirstOrThrow();
  return { n: Number(row.n), at: row.at === null ? null : Number(row.at) };
}

/** The old codes stop working and these (already hashed) take their place, in one unit. */
export async function replaceRecoveryCodes(db: Db, userId: string, codes: { id: string; codeHash: string }[], now: number): Promise<void> {
  await transaction(db, async (trx) => {
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    if (codes.length === 0) return;
    await trx
      .insertInto("recovery_codes")
      .values(codes.map((c) => ({ id: c.id, user_id: userId, code_hash: c.codeHash, created_at: now })))
      .execute();
  });
}

/** Spends one code (single use, MFA-03): only the statement that marks it used wins. */
export async function spendRecoveryCode(db: Db, userId: string, codeHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("recovery_codes")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("code_hash", "=", codeHash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes the account's codes, or those created at or after `since`; returns how many. */
export async function deleteRecoveryCodes(db: Db, userId: string, since?: number): Promise<number> {
  let query = db.deleteFrom("recovery_codes").where("user_id", "=", userId);
  if (since !== undefined) query = query.where("created_at", ">=", since);
  return Number((await query.executeTakeFirst()).numDeletedRows);
}

// ---- WebAuthn challenges --------------------------------------------------------------------

/** Keeps a new challenge, clearing out expired ones on the way. */
export async function insertChallenge(db: Db, row: ChallengeRow): Promise<void> {
  await db.deleteFrom("webauthn_challenges").where("expires_at", "<", row.created_at).execute();
  await db.insertInto("webauthn_challenges").values(row).execute();
}

/**
 * Takes a challenge out of the store, whatever its purpose or age, so it can be used once only
 * (MFA-05). One DELETE … RETURNING: only the caller whose statement removed the row gets it, so of
 * two parallel uses (on any nodes) one wins.
 */
export async function takeChallenge(db: Db, id: string): Promise<ChallengeRow | undefined> {
  return db.deleteFrom("webauthn_challenges").where("id", "=", id).returningAll().executeTakeFirst();
}
