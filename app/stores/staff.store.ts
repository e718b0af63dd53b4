import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { StaffEventsTable, StaffInvitesTable, StaffTable } from "~/db/schema";

/**
 * staff, staff_events and staff_unknown_login_failures: support staff, the history of their locks
 * and status changes, and the wrong-password counters for e-mails that name no staff member.
 * Every single-use or counted step here is one conditional UPDATE whose row count decides.
 */

export const STAFF_ROLES = ["agent", "supervisor", "admin"] as const;
/** agent: works tickets; supervisor: an agent's actions plus approvals and reports; admin: a supervisor's plus staff management. */
export type StaffRole = (typeof STAFF_ROLES)[number];

export type Staff = Omit<Selectable<StaffTable>, "status" | "locked_reason" | "role"> & {
  /** The operator's switch (`staff disable|enable`); a disabled staff member has no way in. */
  status: "active" | "disabled";
  role: StaffRole;
  /** With locked_at, set after 10 consecutive wrong codes; only another staff member or the CLI clears it. */
  locked_reason: "failed_codes" | null;
};

export type StaffEvent = Omit<Selectable<StaffEventsTable>, "action"> & { action: "locked" | "unlocked" | "disabled" | "enabled" };

/** A run of wrong passwords: for a staff row, or for an unknown e-mail's keyed hash. */
export type PasswordFailures = { failures: number; delay_until: number; updated_at: number };

/** An UPDATE of one staff member's row; the caller adds what to set and any further conditions. */
const updateStaff = (db: Db, staffId: string) => db.updateTable("staff").where("id", "=", staffId);

/** Runs a conditional UPDATE of one row: true only when the conditions still held and it changed. */
const changed = async (update: { executeTakeFirst(): Promise<{ numUpdatedRows: bigint }> }) => (await update.executeTakeFirst()).numUpdatedRows === 1n;

// ---- rows ----------------------------------------------------------------------------------------

export async function insertStaff(db: Db, staff: Pick<Staff, "id" | "email" | "name" | "password_hash" | "totp_secret" | "created_at" | "role">): Promise<void> {
  await db
    .insertInto("staff")
    .values({ id: staff.id, email: staff.email, name: staff.name, password_hash: staff.password_hash, totp_secret: staff.totp_secret, created_at: staff.created_at, role: staff.role })
    .execute();
}

/** `email` as stored (normalised by the caller). */
export async function findStaffByEmail(db: Db, email: string): Promise<Staff | undefined> {
  return (await db.selectFrom("staff").selectAll().where("email", "=", email).executeTakeFirst()) as Staff | undefined;
}

export async function findStaffById(db: Db, id: string): Promise<Staff | undefined> {
  return (await db.selectFrom("staff").selectAll().where("id", "=", id).executeTakeFirst()) as Staff | undefined;
}

export async function listStaff(db: Db): Promise<Staff[]> {
  return (await db.selectFrom("staff").selectAll().orderBy("email").execute()) as Staff[];
}

/** Active admins other than `exceptId`. */
export async function countOtherActiveAdmins(db: Db, exceptId: string): Promise<number> {
  const { n } = await db
    .selectFrom("staff")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("role", "=", "admin")
    .where("status", "=", "active")
    .where("id", "<>", exceptId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function updateStaffStatus(db: Db, staffId: string, status: Staff["status"]): Promise<void> {
  await updateStaff(db, staffId).set({ status }).execute();
}

/** Sets the role; true only when it changed (the same role again changes nothing). */
export async function updateStaffRole(db: Db, staffId: string, role: StaffRole): Promise<boolean> {
  return changed(updateStaff(db, staffId).set({ role }).where("role", "<>", role));
}

// ---- history -------------------------------------------------------------------------------------

export async function insertStaffEvent(db: Db, event: Omit<StaffEvent, "id">): Promise<void> {
  await db.insertInto("staff_events").values({ staff_id: event.staff_id, at: event.at, actor: event.actor, action: event.action, note: event.note }).execute();
}

/** Newest first; every staff member's when `staffId` is not given. */
export async function listStaffEvents(db: Db, staffId: string | undefined, limit: number): Promise<StaffEvent[]> {
  let query = db.selectFrom("staff_events").selectAll();
  if (staffId) query = query.where("staff_id", "=", staffId);
  return (await query.orderBy("id", "desc").limit(limit).execute()) as StaffEvent[];
}

// ---- wrong passwords -----------------------------------------------------------------------------
// Read and written inside the caller's transaction (BEGIN IMMEDIATE), so a count is claimed by one
// request at a time. PostgreSQL (issue 13) needs the read to lock the row (FOR UPDATE) as well.

export async function staffPasswordFailures(db: Db, staffId: string): Promise<PasswordFailures | undefined> {
  return db
    .selectFrom("staff")
    .select(["failed_password_count as failures", "password_delay_until as delay_until", "password_failed_at as updated_at"])
    .where("id", "=", staffId)
    .executeTakeFirst();
}

export async function setStaffPasswordFailures(db: Db, staffId: string, failures: number, delayUntil: number, now: number): Promise<void> {
  await updateStaff(db, staffId).set({ failed_password_count: failures, password_delay_until: delayUntil, password_failed_at: now }).execute();
}

/** A right password: the run of wrong ones is forgotten. */
export async function clearStaffPasswordFailures(db: Db, staffId: string): Promise<void> {
  await updateStaff(db, staffId).set({ failed_password_count: 0, password_delay_until: 0 }).execute();
}

export async function unknownLoginFailures(db: Db, key: string): Promise<PasswordFailures | undefined> {
  return db.selectFrom("staff_unknown_login_failures").select(["failures", "delay_until", "updated_at"]).where("key", "=", key).executeTakeFirst();
}

/** Forgets runs for unknown e-mails last tried before `before`, then stores this one's. */
export async function setUnknownLoginFailures(db: Db, key: string, failures: number, delayUntil: number, now: number, before: number): Promise<void> {
  await db.deleteFrom("staff_unknown_login_failures").where("updated_at", "<", before).execute();
  await db
    .insertInto("staff_unknown_login_failures")
    .values({ key, failures, delay_until: delayUntil, updated_at: now })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet((eb) => ({
        failures: eb.ref("excluded.failures"),
        delay_until: eb.ref("excluded.delay_until"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .execute();
}

// ---- authenticator -------------------------------------------------------------------------------

/** A fresh set-up secret for the pending visit `nonce` (L12); never over a confirmed authenticator. */
export async function setSetupSecret(db: Db, staffId: string, sealedSecret: string, nonce: string): Promise<void> {
  await updateStaff(db, staffId).set({ totp_secret: sealedSecret, totp_setup_nonce: nonce, totp_last_step: 0 }).where("totp_confirmed_at", "is", null).execute();
}

/**
 * Counts one code attempt before it is checked, and never more than `lockAfter`, however many
 * requests run at once: false when the staff member is disabled, locked or out of attempts.
 */
export async function reserveCodeAttempt(db: Db, staffId: string, lockAfter: number): Promise<boolean> {
  return changed(
    updateStaff(db, staffId)
      .set((eb) => ({ failed_code_count: eb("failed_code_count", "+", 1) }))
      .where("status", "=", "active")
      .where("locked_at", "is", null)
      .where("failed_code_count", "<", lockAfter),
  );
}

/**
 * The replay check and the success are one atomic write (L1): of two requests with the same code,
 * only the one that moves totp_last_step forward changes the row. It also confirms a set-up and
 * forgets both failure counters. False: replayed, or the secret, status or lock changed meanwhile.
 */
export async function spendTotpStep(db: Db, staffId: string, step: number, sealedSecret: string, now: number): Promise<boolean> {
  return changed(
    updateStaff(db, staffId)
      .set((eb) => ({
        totp_last_step: step,
        totp_confirmed_at: eb.fn.coalesce("totp_confirmed_at", eb.val(now)),
        totp_setup_nonce: null,
        failed_code_count: 0,
        failed_password_count: 0,
        password_delay_until: 0,
      }))
      .where("totp_last_step", "<", step)
      .where("totp_secret", "=", sealedSecret)
      .where("status", "=", "active")
      .where("locked_at", "is", null),
  );
}

/**
 * Forgets the staff member's authenticator (confirmed or being set up), so the next sign-in after
 * the password sends them to set one up again. False when they had none.
 */
export async function clearStaffTotp(db: Db, staffId: string): Promise<boolean> {
  return changed(
    updateStaff(db, staffId)
      .set({ totp_secret: null, totp_confirmed_at: null, totp_setup_nonce: null, totp_last_step: 0, failed_code_count: 0 })
      .where("totp_secret", "is not", null),
  );
}

// ---- invitations ---------------------------------------------------------------------------------

export type StaffInvite = Selectable<StaffInvitesTable>;

export async function insertStaffInvite(db: Db, invite: Omit<StaffInvite, "used_at">): Promise<void> {
  await db.insertInto("staff_invites").values({ ...invite, used_at: null }).execute();
}

/** An invitation that can still be used at `now` (unspent, unexpired), by its token's hash. */
export async function findUsableStaffInvite(db: Db, tokenHash: string, now: number): Promise<StaffInvite | undefined> {
  return db.selectFrom("staff_invites").selectAll().where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
}

/** Spends an invitation: true only for the one request whose conditional UPDATE changed it. */
export async function spendStaffInvite(db: Db, tokenHash: string, now: number): Promise<boolean> {
  return (
    (await db.updateTable("staff_invites").set({ used_at: now }).where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst())
      .numUpdatedRows === 1n
  );
}

/** Every unspent invitation of the staff member stops working (a new one replaces them). */
export async function retireStaffInvites(db: Db, staffId: string, now: number): Promise<void> {
  await db.updateTable("staff_invites").set({ used_at: now }).where("staff_id", "=", staffId).where("used_at", "is", null).execute();
}

/** The first password of an invited staff member; never over an existing one. */
export async function setFirstStaffPassword(db: Db, staffId: string, passwordHash: string): Promise<boolean> {
  return changed(updateStaff(db, staffId).set({ password_hash: passwordHash }).where("password_hash", "is", null));
}

// ---- locks ---------------------------------------------------------------------------------------

/** Locks once the wrong codes reach `lockAfter`; true only for the request that locked. */
export async function lockStaffIfExhausted(db: Db, staffId: string, now: number, ip: string, lockAfter: number): Promise<boolean> {
  return changed(
    updateStaff(db, staffId).set({ locked_at: now, locked_reason: "failed_codes", locked_ip: ip }).where("locked_at", "is", null).where("failed_code_count", ">=", lockAfter),
  );
}

/** Lifts a wrong-code lock and forgets both failure counters; false when there was no lock. */
export async function liftStaffLock(db: Db, staffId: string): Promise<boolean> {
  return changed(
    updateStaff(db, staffId)
      .set({ locked_at: null, locked_reason: null, locked_ip: null, failed_code_count: 0, failed_password_count: 0, password_delay_until: 0 })
      .where("locked_at", "is not", null),
  );
}
