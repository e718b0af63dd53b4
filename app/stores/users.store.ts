import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import { compiledOnce } from "~/db/compiled.server";
import type { UsersTable } from "~/db/schema";

/**
 * users and password_history. Identifiers arrive already normalised (app/accounts/ does that);
 * this module only reads and writes rows.
 */

export type User = Omit<Selectable<UsersTable>, "status" | "password_change_required" | "new_device_notices" | "signed_in_before" | "locale"> & {
  /** The preferred language for messages (migration 0021); null or absent: DEFAULT_LOCALE. */
  locale?: "en" | "es" | "ar" | null;
  status: "active" | "disabled";
  /** 1 after a compromise report: the next sign-in must choose a new password (PWD-06). Absent on an account not yet written. */
  password_change_required?: number;
  /** 0 when the customer turned the "new device" sign-in notice off (migration 0019). Absent on an account not yet written. */
  new_device_notices?: number;
  /** 1 once the account has completed a sign-in (migration 0019). */
  signed_in_before?: number;
};

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  return (await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst()) as User | undefined;
}

/** `username` must already be normalised (stored lower-case). */
// Every reset, unlock and sign-in by username asks this first.
const byUsername = compiledOnce((db, username) => db.selectFrom("users").selectAll().where("username", "=", username as string));

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return (await byUsername(db, username))[0] as User | undefined;
}

/** `email` must already be normalised; several accounts may share one. */
export async function findUsersByEmail(db: Db, email: string): Promise<User[]> {
  return (await db.selectFrom("users").selectAll().where("email", "=", email).orderBy("created_at").execute()) as User[];
}

export async function findUsersByVerifiedPhone(db: Db, e164: string): Promise<User[]> {
  return (await db
    .selectFrom("users")
    .selectAll()
    .where("phone", "=", e164)
    .where("phone_verified", "=", 1)
    .orderBy("created_at")
    .execute()) as User[];
}

/** Writes the account row and, when it has a password, that password's history row. */
export async function insertUser(db: Db, user: User): Promise<void> {
  await db
    .insertInto("users")
    .values({
      id: user.id,
      username: user.username,
      email: user.email,
      email_verified: user.email_verified,
      phone: user.phone,
      phone_verified: user.phone_verified,
      password_hash: user.password_hash,
      password_changed_at: user.password_changed_at,
      status: user.status,
      created_at: user.created_at,
    })
    .execute();
  if (user.password_hash) await insertPasswordHistory(db, user.id, user.password_hash, user.created_at);
}

async function insertPasswordHistory(db: Db, userId: string, passwordHash: string, now: number): Promise<void> {
  await db.insertInto("password_history").values({ user_id: userId, password_hash: passwordHash, created_at: now }).execute();
}

/** Recent password hashes, newest first. */
export async function passwordHistory(db: Db, userId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("password_history")
    .select("password_hash")
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    // Ties between hashes stored in the same millisecond: the later insert is newer.
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => r.password_hash);
}

/** Stores a new password hash and its history row; a new password clears the PWD-06 flag. */
export async function storePasswordHash(db: Db, userId: string, passwordHash: string, now: number): Promise<void> {
  await db.updateTable("users").set({ password_hash: passwordHash, password_changed_at: now, password_change_required: 0 }).where("id", "=", userId).execute();
  await insertPasswordHistory(db, userId, passwordHash, now);
}

export async function flagPasswordChange(db: Db, userId: string): Promise<void> {
  await db.updateTable("users").set({ password_change_required: 1 }).where("id", "=", userId).execute();
}

/** Sets the account's email or phone to `value`, verified (a confirmed change, or one put back by a report). */
export async function setVerifiedContact(db: Db, userId: string, kind: "email" | "phone", value: string): Promise<void> {
  await db
    .updateTable("users")
    .set(kind === "email" ? { email: value, email_verified: 1 } : { phone: value, phone_verified: 1 })
    .where("id", "=", userId)
    .execute();
}

export async function setUserStatus(db: Db, userId: string, status: User["status"]): Promise<void> {
  await db.updateTable("users").set({ status }).where("id", "=", userId).execute();
}

/** Turns the "new device" sign-in notice on or off (account security page). */
export async function setNewDeviceNotices(db: Db, userId: string, on: boolean): Promise<void> {
  await db.updateTable("users").set({ new_device_notices: on ? 1 : 0 }).where("id", "=", userId).execute();
}

/** Stores the customer's preferred language (issue 16); their messages go out in it. */
export async function setUserLocale(db: Db, userId: string, locale: "en" | "es" | "ar"): Promise<void> {
  await db.updateTable("users").set({ locale }).where("id", "=", userId).where((eb) => eb.or([eb("locale", "is", null), eb("locale", "!=", locale)])).execute();
}

/** Marks a completed sign-in; true when it is the account's first (one conditional UPDATE decides). */
export async function markSignedIn(db: Db, userId: string): Promise<boolean> {
  const result = await db.updateTable("users").set({ signed_in_before: 1 }).where("id", "=", userId).where("signed_in_before", "=", 0).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Replaces a password hash with a rehash of the same password (an imported bcrypt or weaker
 * Argon2 hash, on its first successful sign-in): only while the old hash is still the stored one,
 * so a password changed meanwhile is never overwritten. Not a new password: no history row.
 */
export async function replacePasswordHash(db: Db, userId: string, oldHash: string, newHash: string): Promise<boolean> {
  const result = await db.updateTable("users").set({ password_hash: newHash }).where("id", "=", userId).where("password_hash", "=", oldHash).executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await db.updateTable("password_history").set({ password_hash: newHash }).where("user_id", "=", userId).where("password_hash", "=", oldHash).execute();
  return true;
}

/** Sets contacts as given (provisioning API); fields left undefined stay as they are. */
export async function updateContacts(
  db: Db,
  userId: string,
  set: { email?: string; email_verified?: number; phone?: string | null; phone_verified?: number },
): Promise<void> {
  if (Object.keys(set).length === 0) return;
  await db.updateTable("users").set(set).where("id", "=", userId).execute();
}

/**
 * Deletes the account row; its factors, flows, locks, password history, contact changes and report
 * links go with it (ON DELETE CASCADE), tickets keep the ticket but lose the link (SET NULL).
 */
export async function deleteUser(db: Db, userId: string): Promise<boolean> {
  const result = await db.deleteFrom("users").where("id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}
