import type { AppLoadContext } from "@remix-run/node";
import { findUsersByEmail, findUsersByVerifiedPhone } from "~/accounts/accounts.server";
import { isValidEmail, normaliseEmail, normaliseIdentifier } from "~/accounts/identifiers";
import { normalisePhone } from "~/accounts/phone";
import { smsAllowed } from "~/delivery/sms-guard.server";
import { hmacHex } from "~/security/crypto.server";
import { recordEvent } from "./events.server";

/**
 * "Forgot your username?": the usernames go only to the registered address or verified number,
 * never to the page (AR-01). Every request answers the same and counts against the same limits
 * as a password reset, keyed on what was typed.
 */
export type UsernameOutcome = { ok: true } | { ok: false; reason: "invalid" } | { ok: false; reason: "throttled"; retryAfterSeconds: number };

export async function requestUsernames(context: AppLoadContext, raw: string, options: { bot?: boolean } = {}): Promise<UsernameOutcome> {
  const { db, config, limits, metrics } = context.services;
  const typed = normaliseIdentifier(raw);
  const email = typed.includes("@") ? normaliseEmail(typed) : null;
  const phone = email ? null : normalisePhone(typed, config.defaultPhoneRegion);
  if (email ? !isValidEmail(email) : !phone) return { ok: false, reason: "invalid" };
  const destination = (email ?? phone)!;

  for (const [name, key] of [
    ["recovery_per_ip", `username:${context.clientIp}`],
    ["recovery_per_identifier", hmacHex(config.secretKey, `username:${destination}`)],
    ["messages_per_destination_hour", `dest:${destination}`],
    ["messages_per_destination_day", `dest:${destination}`],
  ] as const) {
    const verdict = await limits.consume(name, key);
    if (!verdict.ok) {
      metrics.throttled.inc({ limit: name });
      recordEvent(context, { event: "username_reminder_throttled", outcome: "failure", details: { limit: name } });
      return { ok: false, reason: "throttled", retryAfterSeconds: verdict.retryAfterSeconds };
    }
  }
  const users = options.bot
    ? []
    : email
      ? findUsersByEmail(db, email).filter((u) => u.status === "active" && u.email_verified === 1)
      : findUsersByVerifiedPhone(db, phone!).filter((u) => u.status === "active");
  const allowed = users.length > 0 && (email ? true : await smsAllowed(context, phone!));
  db.transaction(() => {
    if (allowed) {
      context.services.send({
        channel: email ? "email" : "sms",
        to: destination,
        template: "username-reminder",
        payload: {
          appName: config.appName,
          usernames: users.map((u) => u.username),
          loginUrl: `${config.appOrigin}/login`,
          resetUrl: `${config.appOrigin}/forgot-password`,
        },
      });
    }
    recordEvent(context, {
      event: "username_reminder_requested",
      outcome: "info",
      userId: users.length === 1 ? users[0].id : null,
      details: { via: email ? "email" : "phone", accounts: users.length, sent: allowed },
    });
  }).immediate();
  return { ok: true };
}
