import crypto from "node:crypto";
import type { Config } from "~/config.server";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import { maskPhone, type Logger } from "~/log.server";
import { renderSms } from "../../emails/index";
import { storeMailboxMessage } from "./dev-mailbox.server";
import type { Sender } from "./outbox.server";

/**
 * SMS adapters behind one Sender interface, picked by SMS_PROVIDER:
 * - console: development; the text appears in /dev/mailbox; the log names the template and the
 *   masked number only.
 * - webhook: POST {"id","to","body"} with X-Signature: sha256=<hex HMAC-SHA256 of the raw body>.
 * - twilio: Twilio's Messages API (form-encoded To/From/Body, HTTP Basic auth with SID:token).
 * Any 2xx counts as delivered; anything else throws so the outbox retries with backoff.
 */

export function signWebhookBody(secret: string, rawBody: string): string {
  return `sha256=${crypto.createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

async function postOrThrow(url: string, init: RequestInit): Promise<void> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (res.status < 200 || res.status >= 300) {
    const text = (await res.text().catch(() => "")).slice(0, 200);
    throw new Error(`SMS provider answered ${res.status}${text ? `: ${text}` : ""}`);
  }
}

export function createSmsSender(config: Config, db: Db, clock: Clock, logger: Logger): Sender {
  const { sms } = config;
  if (sms.provider === "webhook") {
    return async (row, payload) => {
      const raw = JSON.stringify({ id: row.id, to: row.recipient, body: renderSms(row.template, payload) });
      await postOrThrow(sms.webhookUrl!, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Signature": signWebhookBody(sms.webhookSecret!, raw) },
        body: raw,
      });
    };
  }
  if (sms.provider === "twilio") {
    const { accountSid, authToken, from, apiUrl } = sms.twilio;
    const url = `${apiUrl.replace(/\/$/, "")}/2010-04-01/Accounts/${encodeURIComponent(accountSid!)}/Messages.json`;
    const auth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    return async (row, payload) => {
      await postOrThrow(url, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: auth },
        body: new URLSearchParams({ To: row.recipient, From: from!, Body: renderSms(row.template, payload) }).toString(),
      });
    };
  }
  return createConsoleSmsSender(db, clock, logger);
}

/**
 * Development SMS: the message goes to /dev/mailbox. The log line says that a text was sent, its
 * template and the masked number, never the text itself: it carries codes and links (M7, LOG-02).
 */
export function createConsoleSmsSender(db: Db, clock: Clock, logger: Logger): Sender {
  return async (row, payload) => {
    const body = renderSms(row.template, payload);
    await storeMailboxMessage(db, clock.now(), {
      channel: "sms",
      sender: "SMS",
      recipients: row.recipient,
      subject: null,
      text_body: body,
      html_body: null,
    });
    logger.info({ outboxId: row.id, template: row.template, to: maskPhone(row.recipient) }, "console SMS");
  };
}
