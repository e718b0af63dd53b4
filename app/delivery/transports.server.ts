import nodemailer from "nodemailer";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import { maskPhone, type Logger } from "~/log.server";
import { renderEmail, renderSms } from "../../emails/index";
import { storeMailboxMessage } from "./dev-mailbox.server";
import type { Sender } from "./outbox.server";

/** SMTP connections the pool keeps open; the worker keeps a few messages in flight per connection. */
export const EMAIL_POOL_CONNECTIONS = 8;

/**
 * Email over SMTP with nodemailer; the outbox row's Message-ID is reused on every retry.
 * Connections are pooled and reused (a few of them, each replaced after `maxMessages`), so a burst
 * does not pay a TCP/TLS handshake and an EHLO per message; the worker keeps several messages in
 * flight and the pool spreads them over its connections (docs/decisions/0012).
 */
export function createEmailSender(options: { smtpUrl: string; from: string; ignoreTLS?: boolean; maxConnections?: number; maxMessages?: number }): {
  send: Sender;
  close: () => void;
} {
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    // A plain local relay (smtp:// without TLS or AUTH) must work; smtps:// always uses TLS.
    ...(options.ignoreTLS ? { ignoreTLS: true } : {}),
    pool: true,
    maxConnections: options.maxConnections ?? EMAIL_POOL_CONNECTIONS,
    maxMessages: options.maxMessages ?? 100,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(row, payload) {
      const message = renderEmail(row.template, payload);
      await transport.sendMail({
        from: options.from,
        to: row.recipient,
        subject: message.subject,
        html: message.html,
        text: message.text,
        messageId: row.message_id,
        textEncoding: "base64",
        headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
      });
    },
    close: () => transport.close(),
  };
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
