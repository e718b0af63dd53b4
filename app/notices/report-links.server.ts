import type { RequestContext } from "~/context.server";
import { randomToken, sha256Hex } from "~/security/crypto.server";
import { insertReportToken } from "~/stores/report-links.store";

/**
 * "This wasn't me" links (L10): one per recipient of a security notice, single use, valid 7 days.
 * Minted here, with the notice; spent by `acceptReport` in tickets/, which opens the ticket.
 */

export const REPORT_TTL_MS = 7 * 86_400_000;
export type ReportRecipient = { channel: "email" | "sms"; to: string };
/** What a report from this recipient puts back: the contact as it was before the change. */
export type ReportRestore = { kind: "email" | "phone"; previous: string; replaced: string | null };

/** A fresh report link for one recipient of a notification about `event`. Call in the notification's transaction. */
export async function reportLink(
  context: RequestContext,
  userId: string,
  event: string,
  recipient: ReportRecipient,
  restore: ReportRestore | null = null,
): Promise<string> {
  const { db, clock, config } = context.services;
  const token = randomToken();
  const now = clock.now();
  await insertReportToken(db, {
    token_hash: sha256Hex(token),
    user_id: userId,
    event,
    created_at: now,
    expires_at: now + REPORT_TTL_MS,
    channel: recipient.channel,
    recipient: recipient.to,
    restore_kind: restore?.kind ?? null,
    restore_value: restore?.previous ?? null,
    restore_replaced: restore?.replaced ?? null,
  });
  return `${config.appOrigin}/report/${token}`;
}
