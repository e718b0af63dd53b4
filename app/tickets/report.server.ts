import type { AppLoadContext } from "@remix-run/node";
import { findUserById } from "~/accounts/accounts.server";
import { createLock } from "~/lockout/lockout.server";
import { cancelFlowsForUser } from "~/recovery/flows.server";
import { recordEvent } from "~/recovery/events.server";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { randomToken, sha256Hex } from "~/security/crypto.server";
import { openTicket } from "./tickets.server";

/**
 * "This wasn't me": every security notification carries a single-use link. Opening it changes
 * nothing (scanner-safe); its Continue button locks the account (reported_compromise), ends
 * every session and recovery flow, and opens a high-priority ticket. Only staff lift that lock.
 */

const REPORT_TTL_MS = 30 * 86_400_000;

/** A fresh report link for a notification about `event`. Call in the notification's transaction. */
export function reportLink(context: AppLoadContext, userId: string, event: string): string {
  const { db, clock, config } = context.services;
  const token = randomToken();
  const now = clock.now();
  db.prepare("INSERT INTO report_tokens (token_hash, user_id, event, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(
    sha256Hex(token),
    userId,
    event,
    now,
    now + REPORT_TTL_MS,
  );
  return `${config.appOrigin}/report/${token}`;
}

type ReportRow = { token_hash: string; user_id: string; event: string; created_at: number; expires_at: number; used_at: number | null };

export type ReportStatus = "valid" | "used" | "expired" | "invalid";

function findReport(context: AppLoadContext, token: string): ReportRow | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  return context.services.db.prepare("SELECT * FROM report_tokens WHERE token_hash = ?").get(sha256Hex(token)) as ReportRow | undefined;
}

export async function inspectReport(context: AppLoadContext, token: string): Promise<ReportStatus | "throttled"> {
  const { limits, clock } = context.services;
  const budget = await limits.check("link_failures_per_ip", context.clientIp);
  if (!budget.ok) return "throttled";
  const row = findReport(context, token);
  if (!row) {
    await limits.consume("link_failures_per_ip", context.clientIp);
    return "invalid";
  }
  if (row.used_at) return "used";
  return clock.now() >= row.expires_at ? "expired" : "valid";
}

export type ReportOutcome = { ok: true; reference: string; slaHours: number } | { ok: false; status: Exclude<ReportStatus, "valid"> | "throttled" };

export async function acceptReport(context: AppLoadContext, token: string): Promise<ReportOutcome> {
  const status = await inspectReport(context, token);
  if (status !== "valid") return { ok: false, status };
  const { db, clock } = context.services;
  const row = findReport(context, token)!;
  const user = findUserById(db, row.user_id);
  if (!user) return { ok: false, status: "invalid" };
  const now = clock.now();
  return db.transaction((): ReportOutcome => {
    const won = db.prepare("UPDATE report_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL").run(now, row.token_hash).changes === 1;
    if (!won) return { ok: false, status: "used" };
    // Any other report links of this account are spent too: the account is now with support.
    db.prepare("UPDATE report_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL").run(now, user.id);
    createLock(db, {
      userId: user.id,
      reason: "reported_compromise",
      now,
      until: null,
      ip: context.clientIp,
      userAgent: context.userAgent,
      details: { reported_event: row.event },
      createdBy: "customer_report",
    });
    const sessions = deleteAllSessions(db, { type: "user", id: user.id });
    cancelFlowsForUser(db, user.id);
    recordEvent(context, {
      event: "compromise_reported",
      outcome: "success",
      userId: user.id,
      details: { reported_event: row.event, sessions_revoked: sessions },
    });
    const ticket = openTicket(
      context,
      {
        category: "compromised",
        fullName: user.username,
        accountHint: user.username,
        contactEmail: user.email,
        contactPhone: user.phone_verified ? user.phone : null,
        details: `Reported with the "This wasn't me" link in the "${row.event.replace(/_/g, " ")}" notification sent ${new Date(row.created_at).toUTCString()}. The account was locked and signed out everywhere.`,
        lastSignInClaim: null,
        openedClaim: null,
      },
      { source: "report", matchedUser: user, contactConfirmed: user.email_verified === 1 },
    );
    return { ok: true, reference: ticket.reference, slaHours: ticket.slaHours };
  }).immediate();
}
