import type { Db } from "~/db/db.server";
import { inTransaction, type RequestContext } from "~/context.server";
import * as reportLinks from "~/stores/report-links.store";
import * as factors from "~/stores/factors.store";
import { cancelPendingChanges } from "~/stores/contact-changes.store";
import { setVerifiedContact } from "~/stores/users.store";
import { findUserById, type User, flagPasswordChange } from "~/accounts/accounts.server";
import { dropOrphanedRecoveryCodes } from "~/factors/factors.server";
import { guardedLookup } from "~/limits/limits.server";
import { createLock } from "~/lockout/lockout.server";
import { sendLockNotice } from "~/notices/account-locks.server";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { recordEvent } from "~/audit/events.server";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { sha256Hex } from "~/security/crypto.server";
import { utcMinute } from "~/ui/format";
import { addTicketEvent, openTicket } from "./tickets.server";

/**
 * "This wasn't me": every security notification carries a link of its own for each address or
 * phone it goes to (L10): single use, valid 7 days. Opening it changes nothing (scanner-safe);
 * its button locks the account (reported_compromise), ends every session and recovery flow,
 * removes the passkeys, authenticator app and recovery codes added in the 7 days before (H1),
 * and opens a high-priority ticket whose contact is the person who reported: the address (or
 * phone) the link was sent to, never the account's current contact (M3). From a contact-changed
 * notice sent to the previous address or phone, the report also undoes the change. Only staff
 * lift the lock. Once a report is made, every other report link of the account is spent.
 */

/** Factors added this long before a report are treated as the intruder's and removed (H1). */
export const REPORT_FACTOR_WINDOW_MS = 7 * 86_400_000;

type ReportRow = reportLinks.ReportTokenRow;

export type ReportStatus = "valid" | "used" | "expired" | "invalid";

async function findReport(context: RequestContext, token: string): Promise<ReportRow | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  return reportLinks.findReportToken(context.services.db, sha256Hex(token));
}

async function inspect(context: RequestContext, token: string): Promise<{ status: ReportStatus | "throttled"; row?: ReportRow }> {
  const { limits, clock } = context.services;
  const looked = await guardedLookup(limits, context.clientKey, () => findReport(context, token), (found) => found !== undefined);
  if (!looked) return { status: "throttled" };
  const row = looked.found;
  if (!row) return { status: "invalid" };
  if (row.used_at) return { status: "used" };
  return { status: clock.now() >= row.expires_at ? "expired" : "valid", row };
}

/** Where support will write, as the report page says it (the recipient of this very link). */
export type ReportContact = { channel: "email" | "sms"; address: string; accountEmail: string | null };

function contactFor(row: ReportRow, user: User): ReportContact {
  if (row.channel === "sms" && row.recipient) {
    return { channel: "sms", address: row.recipient, accountEmail: user.email_verified ? user.email : null };
  }
  // Links made before per-recipient links (migration 0008) name no recipient: the account's email then.
  return { channel: "email", address: row.recipient ?? user.email, accountEmail: null };
}

/** What the report page shows before the button: status, where support will write, what will be put back. */
export async function previewReport(
  context: RequestContext,
  token: string,
): Promise<{ status: ReportStatus | "throttled"; contact: ReportContact | null; restores: "email" | "phone" | null }> {
  const { status, row } = await inspect(context, token);
  const user = row ? await findUserById(context.services.db, row.user_id) : undefined;
  if (status !== "valid" || !row || !user) return { status: status === "valid" ? "invalid" : status, contact: null, restores: null };
  return { status, contact: contactFor(row, user), restores: row.restore_kind };
}

export type ReportOutcome =
  | { ok: true; reference: string; slaHours: number; contact: ReportContact; restored: { kind: "email" | "phone"; value: string } | null }
  | { ok: false; status: Exclude<ReportStatus, "valid"> | "throttled" };


/**
 * The intruder's likely footholds: passkeys and an authenticator app added, and recovery codes
 * created, in the window before the report (H1). Removes them and says which, for support.
 */
async function removeRecentFactors(db: Db, userId: string, since: number): Promise<{ lines: string[]; passkeys: string[]; totp: string | null; recoveryCodes: number }> {
  const passkeys = await factors.listPasskeysSince(db, userId, since);
  await factors.deletePasskeys(db, userId, since);
  const totp = await factors.findTotp(db, userId);
  let totpLine: string | null = null;
  if (totp && (totp.confirmed_at === null || Math.max(totp.confirmed_at, totp.created_at) >= since)) {
    // A set-up never confirmed is no factor, but it is not left for anyone to finish either.
    await factors.deleteTotp(db, userId);
    if (totp.confirmed_at !== null) totpLine = `authenticator app added ${utcMinute(totp.confirmed_at)}`;
  }
  const codes = await factors.recoveryCodesSince(db, userId, since);
  await factors.deleteRecoveryCodes(db, userId, since);
  // Older codes go too if nothing is left for them to back up (L9).
  const orphaned = await dropOrphanedRecoveryCodes(db, userId);
  const passkeyLines = passkeys.map((p) => `passkey "${p.name}" added ${utcMinute(p.created_at)}`);
  const lines = [
    ...passkeyLines,
    ...(totpLine ? [totpLine] : []),
    ...(codes.n ? [`${codes.n} recovery codes created ${utcMinute(codes.at!)}`] : []),
    ...(orphaned ? [`${orphaned} older recovery codes (no authenticator app or passkey left for them to back up)`] : []),
  ];
  return { lines, passkeys: passkeyLines, totp: totpLine, recoveryCodes: codes.n + orphaned };
}

/** Undoes a contact change: the previous value is put back, verified, and pending changes end. */
async function restoreContact(db: Db, userId: string, row: ReportRow): Promise<{ kind: "email" | "phone"; value: string } | null> {
  if (!row.restore_kind || !row.restore_value) return null;
  await setVerifiedContact(db, userId, row.restore_kind, row.restore_value);
  await cancelPendingChanges(db, userId);
  return { kind: row.restore_kind, value: row.restore_value };
}

export async function acceptReport(context: RequestContext, token: string): Promise<ReportOutcome> {
  const { status, row } = await inspect(context, token);
  if (status !== "valid" || !row) return { ok: false, status: status === "valid" ? "invalid" : status };
  const { db, clock } = context.services;
  const user = await findUserById(db, row.user_id);
  if (!user) return { ok: false, status: "invalid" };
  const now = clock.now();
  return inTransaction(context, async (tx): Promise<ReportOutcome> => {
    const db = tx.services.db;
    const won = await reportLinks.spendReportToken(db, row.token_hash, now);
    if (!won) return { ok: false, status: "used" };
    // Any other report links of this account are spent too: the account is now with support.
    await reportLinks.spendReportTokensOf(db, user.id, now);
    const restored = await restoreContact(db, user.id, row);
    const removed = await removeRecentFactors(db, user.id, now - REPORT_FACTOR_WINDOW_MS);
    const lock = await createLock(db, {
      userId: user.id,
      reason: "reported_compromise",
      now,
      until: null,
      ip: context.clientIp,
      userAgent: context.userAgent,
      details: { reported_event: row.event, restored: restored?.kind ?? null },
      createdBy: "customer_report",
    });
    // The password may be known to whoever used the account: once support unlocks it, the next
    // password sign-in must choose a new one (PWD-06).
    await flagPasswordChange(db, user.id);
    const sessions = await deleteAllSessions(db, { type: "user", id: user.id });
    await cancelFlows(db, { userId: user.id });
    const after = (await findUserById(db, user.id))!;
    // The customer is told of the lock, with support as the way out (issue 14), at the contacts it now has.
    await sendLockNotice(tx, after, lock);
    const contact = contactFor(row, after);
    if (restored) {
      await recordEvent(tx, {
        event: `${restored.kind}_restored`,
        outcome: "success",
        userId: user.id,
        actorType: "user",
        actorId: user.id,
        details: { via: "compromise_report", reported_event: row.event },
      });
    }
    await recordEvent(tx, {
      event: "compromise_reported",
      outcome: "success",
      userId: user.id,
      details: {
        reported_event: row.event,
        reported_via: contact.channel,
        sessions_revoked: sessions,
        contact_restored: restored?.kind ?? null,
        removed_passkeys: removed.passkeys.length ? removed.passkeys.join("; ") : null,
        removed_totp: removed.totp,
        removed_recovery_codes: removed.recoveryCodes,
      },
    });
    const sentAt = new Date(row.created_at).toUTCString();
    const via = contact.channel === "sms" ? `the text message sent to ${contact.address}` : `the email sent to ${contact.address}`;
    const details = [
      `Reported with the "This wasn't me" link in the "${row.event.replace(/_/g, " ")}" notification (${via}, ${sentAt}). The account was locked and signed out everywhere.`,
      contact.channel === "sms"
        ? `The reporter proved the phone ${contact.address}. The contact email below is the account's (${after.email}), not proven by this report: check it has not just been changed.`
        : `The reporter proved the address ${contact.address}: write to them there.`,
      restored
        ? `The ${restored.kind === "email" ? "email address" : "phone number"} was restored to ${restored.value} (the change to ${row.restore_replaced ?? "a new value"} was undone).`
        : null,
      removed.lines.length
        ? `Removed because they were added in the 7 days before the report: ${removed.lines.join("; ")}.`
        : "No passkey, authenticator app or recovery codes were added in the 7 days before the report.",
    ]
      .filter(Boolean)
      .join("\n");
    const ticket = await openTicket(
      tx,
      {
        category: "compromised",
        fullName: user.username,
        accountHint: user.username,
        contactEmail: contact.channel === "sms" ? after.email : contact.address,
        contactPhone: contact.channel === "sms" ? contact.address : null,
        details,
        lastSignInClaim: null,
        openedClaim: null,
      },
      // A link that reached an email address proves that address; an SMS link proves only the phone.
      { source: "report", matchedUser: after, contactConfirmed: contact.channel === "email" },
    );
    if (restored) {
      await addTicketEvent(
        db,
        ticket.ticketId,
        now,
        "system",
        `${restored.kind}_restored`,
        `The ${restored.kind === "email" ? "email address" : "phone number"} was put back to ${restored.value}, verified; ${row.restore_replaced ?? "the new value"} was removed.`,
      );
    }
    if (removed.lines.length) await addTicketEvent(db, ticket.ticketId, now, "system", "factors_removed", removed.lines.join("; "));
    return { ok: true, reference: ticket.reference, slaHours: ticket.slaHours, contact, restored };
  });
}
