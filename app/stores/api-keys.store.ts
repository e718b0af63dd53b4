import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { ApiIdempotencyTable, ApiKeysTable } from "~/db/schema";

/**
 * api_keys and api_idempotency (issue 17, docs/decisions/0021-provisioning-api.md). Rows only:
 * app/api/ makes the keys, hashes them and decides.
 */

export type ApiKey = Selectable<ApiKeysTable>;
export type IdempotencyRecord = Selectable<ApiIdempotencyTable>;

export async function insertApiKey(db: Db, key: ApiKey): Promise<void> {
  await db.insertInto("api_keys").values(key).execute();
}

export async function findApiKey(db: Db, id: string): Promise<ApiKey | undefined> {
  return db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function listApiKeys(db: Db): Promise<ApiKey[]> {
  return db.selectFrom("api_keys").selectAll().orderBy("created_at").orderBy("id").execute();
}

/** Revokes a key that is not revoked yet; true when this call revoked it (one conditional write). */
export async function revokeApiKey(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stamps last use at most once a minute per key, so a busy key does not write on every request. */
export async function touchApiKey(db: Db, id: string, now: number): Promise<void> {
  await db
    .updateTable("api_keys")
    .set({ last_used_at: now })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", now - 60_000)]))
    .execute();
}

/** The live record for (key, Idempotency-Key), if any; expired rows count as absent. */
export async function findIdempotencyRecord(db: Db, keyId: string, idempotencyKey: string, now: number): Promise<IdempotencyRecord | undefined> {
  return db
    .selectFrom("api_idempotency")
    .selectAll()
    .where("key_id", "=", keyId)
    .where("idempotency_key", "=", idempotencyKey)
    .where("expires_at", ">", now)
    .executeTakeFirst();
}

/** Stores a response; an expired record under the same pair is replaced. Call after serializeOn the pair. */
export async function storeIdempotencyRecord(db: Db, record: IdempotencyRecord): Promise<void> {
  await db.deleteFrom("api_idempotency").where("key_id", "=", record.key_id).where("idempotency_key", "=", record.idempotency_key).execute();
  await db.insertInto("api_idempotency").values(record).execute();
}

export async function purgeIdempotencyRecords(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom("api_idempotency").where("expires_at", "<=", now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
