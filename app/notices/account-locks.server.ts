import { actorVia, inTransaction, type RequestContext } from "~/context.server";
import { findUserById, findUserByUsername, AccountError, type User } from "~/accounts/accounts.server";
import { recordEvent } from "~/audit/events.server";
import { liftAllLocks, placeStaffLock, SELF_SERVICE_REASONS, type LockRecord } from "~/lockout/lockout.server";
import { sendSecurityNotice } from "./notices.server";
import { messageTime } from "./message-locale";

/**
 * The customer is told when their account is locked (issue 14): one message per lock to the
 * verified e-mail, and to the verified phone by SMS, saying why and the way out: /unlock for the
 * locks self-service may lift, the assisted-recovery page for the others. No secret in it.
 * Call inside the transaction that made the lock (pass its `tx`), so the lock and its notice commit
 * together through the outbox.
 */
export async function sendLockNotice(context: RequestContext, user: User, lock: Pick<LockRecord, "reason" | "locked_at" | "locked_until">): Promise<void> {
  const { config } = context.services;
  const locale = user.locale ?? config.defaultLocale;
  const payload = {
    appName: config.appName,
    username: user.username,
    why: lock.reason,
    when: messageTime(locale, lock.locked_at),
    until: lock.locked_until === null ? null : messageTime(locale, lock.locked_until),
    unlockUrl: SELF_SERVICE_REASONS.includes(lock.reason) ? `${config.appOrigin}/unlock` : null,
    supportUrl: `${config.appOrigin}/assisted-recovery`,
    supportEmail: config.supportEmail,
    locale,
  };
  if (user.email_verified) await context.services.send({ channel: "email", to: user.email, template: "account-locked", payload });
  if (user.phone && user.phone_verified) await context.services.send({ channel: "sms", to: user.phone, template: "account-locked", payload });
}

/** The same, for a lock that names only the account id (a lock made below the accounts floor). */
export async function sendLockNoticeFor(context: RequestContext, userId: string, lock: Pick<LockRecord, "reason" | "locked_at" | "locked_until">): Promise<void> {
  const user = await findUserById(context.services.db, userId);
  if (user) await sendLockNotice(context, user, lock);
}

/** Who acts, as lock records name them: `operator:cli`, `staff:<id>`. */
function lockActor(context: RequestContext): string {
  return `${context.actor.type}:${context.actor.id ?? "-"}`;
}

const NOTE_MAX = 2000;

/**
 * A manual lock by staff or an operator (reason `staff`, until lifted), its notice and its audit
 * row in one transaction. The note is kept in the lock's details (staff's words, never a secret).
 * Throws AccountError for an unknown username. `created` is false when a staff lock was already open.
 */
export async function lockAccountByStaff(context: RequestContext, username: string, note: string | null): Promise<{ user: User; created: boolean }> {
  const user = await findUserByUsername(context.services.db, username);
  if (!user) throw new AccountError(`no user named "${username}"`);
  const now = context.services.clock.now();
  const created = await inTransaction(context, async (tx) => {
    const { created, lock } = await placeStaffLock(tx.services.db, {
      userId: user.id,
      now,
      by: lockActor(context),
      note: note?.slice(0, NOTE_MAX) || null,
      ip: context.actor.type === "operator" ? null : context.clientIp,
      userAgent: context.actor.type === "operator" ? null : context.userAgent,
    });
    if (!created) return false;
    await sendLockNotice(tx, user, lock);
    await recordEvent(tx, {
      event: "account_locked",
      outcome: "success",
      userId: user.id,
      details: { reason: "staff", via: actorVia(context.actor), lock_id: lock.id, note: Boolean(note) },
    });
    return true;
  });
  return { user, created };
}

/**
 * Lifts every open lock of an account (end_reason `staff`, ended_by the actor), with a note in the
 * audit row; the customer gets the usual "account unlocked" notice. Returns how many locks ended.
 */
export async function unlockAccountByStaff(context: RequestContext, username: string, note: string | null): Promise<{ user: User; ended: number }> {
  const user = await findUserByUsername(context.services.db, username);
  if (!user) throw new AccountError(`no user named "${username}"`);
  const now = context.services.clock.now();
  const ended = await inTransaction(context, async (tx) => {
    const ended = await liftAllLocks(tx.services.db, user.id, now, lockActor(context));
    if (ended === 0) return 0;
    await recordEvent(tx, {
      event: "account_unlocked",
      outcome: "success",
      userId: user.id,
      details: { via: actorVia(context.actor), locks: ended, note: note?.slice(0, NOTE_MAX) || null },
    });
    await sendSecurityNotice(tx, user, { template: "account-unlocked", event: "account_unlocked", byStaff: true });
    return ended;
  });
  return { user, ended };
}
