import type { AppLoadContext } from "@remix-run/node";
import { randomToken, sha256Hex } from "~/security/crypto.server";

/**
 * "This wasn't me" links (L10): one per recipient of a security notice, single use, valid 7 days.
 * Minted here, with the notice; spent by `acceptReport` in tickets/, which opens the ticket.
 */

export const REPORT_TTL_MS = 7 * 86_400_000;
export type ReportRecipient = { channel: "email" | "sms"; to: string };
/** What a report from this recipient puts back: the contact as it was before the change. */
export type ReportRestore = { kind: "email" | "phone"; previous: string; replaced: string | null };

/** A fresh report link for one recipient of a notification about `event`. Call in the notification's transaction. */
export function reportLink(context: AppLoadContext, userId: string, event: string, recipient: ReportRecipient, restore: ReportRestore | null = null): string {
  const { db, clock, config } = context.services;
  const token = randomToken();
  const now = clock.now();
  db.prepare(
    `INSERT INTO report_tokens (token_hash, user_id, event, created_at, expires_at, channel, recipient, restore_kind, restore_value, restore_replaced)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    sha256Hex(token),
    userId,
    event,
    now,
    now + REPORT_TTL_MS,
    recipient.channel,
    recipient.to,
    restore?.kind ?? null,
    restore?.previous ?? null,
    restore?.replaced ?? null,
  );
  return `${config.appOrigin}/report/${token}`;
}

