import { findUsersByEmail, findUsersByVerifiedPhone } from "~/accounts/accounts.server";
import { isValidEmail, normaliseEmail, normaliseIdentifier } from "~/accounts/identifiers";
import { normalisePhone } from "~/accounts/phone";
import { smsAllowed } from "~/delivery/sms-guard.server";
import { consumeEach } from "~/limits/limits.server";
import { hmacHex } from "~/security/crypto.server";
import { knownDevice } from "~/sessions/device.server";
import { recordEvent } from "~/audit/events.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { evenAnswer } from "~/security/even-time.server";
import { accountsLocale } from "~/notices/message-locale";

/**
 * "Forgot your username?": the usernames go only to the registered address or verified number,
 * never to the page (AR-01). Every request answers the same and counts against the same limits
 * as a password reset, keyed on what was typed.
 */
export type UsernameOutcome = { ok: true } | { ok: false; reason: "invalid" } | { ok: false; reason: "throttled"; retryAfterSeconds: number };

export async function requestUsernames(context: RequestContext, request: Request, raw: string, options: { bot?: boolean } = {}): Promise<UsernameOutcome> {
  const { db, config, limits, metrics } = context.services;
  const evenOut = evenAnswer(config.recovery.answerFloorMs);
  const typed = normaliseIdentifier(raw);
  const email = typed.includes("@") ? normaliseEmail(typed) : null;
  const phone = email ? null : normalisePhone(typed, config.defaultPhoneRegion);
  if (email ? !isValidEmail(email) : !phone) return { ok: false, reason: "invalid" };
  const destination = (email ?? phone)!;

  const users = options.bot
    ? []
    : email
      ? (await findUsersByEmail(db, email)).filter((u) => u.status === "active" && u.email_verified === 1)
      : (await findUsersByVerifiedPhone(db, phone!)).filter((u) => u.status === "active");
  // The owner's own browser has its own message budget, so strangers cannot silence them (M9).
  const device = users.map((u) => knownDevice(request, context, u.id)).find(Boolean);
  const destKey = device ? `dest:${destination}:device:${device}` : `dest:${destination}`;
  const refused = await consumeEach(limits, [
    ["recovery_per_ip", `username:${context.clientKey}`],
    ["recovery_per_identifier", hmacHex(config.secretKey, `username:${destination}`)],
    ["messages_per_destination_hour", destKey],
    ["messages_per_destination_day", destKey],
  ]);
  if (refused) {
    metrics.throttled.inc({ limit: refused.name });
    await recordEvent(context, { event: "username_reminder_throttled", outcome: "failure", details: { limit: refused.name } });
    await evenOut();
    return { ok: false, reason: "throttled", retryAfterSeconds: refused.retryAfterSeconds };
  }
  const allowed = users.length > 0 && (email ? true : await smsAllowed(context, phone!));
  await inTransaction(context, async (tx) => {
    if (allowed) {
      await tx.services.send({
        channel: email ? "email" : "sms",
        to: destination,
        template: "username-reminder",
        payload: {
          appName: config.appName,
          usernames: users.map((u) => u.username),
          loginUrl: `${config.appOrigin}/login`,
          resetUrl: `${config.appOrigin}/forgot-password`,
          locale: accountsLocale(users, config.defaultLocale),
        },
      });
    }
    await recordEvent(tx, {
      event: "username_reminder_requested",
      outcome: "info",
      userId: users.length === 1 ? users[0].id : null,
      details: { via: email ? "email" : "phone", accounts: users.length, sent: allowed },
    });
  });
  await evenOut();
  return { ok: true };
}
