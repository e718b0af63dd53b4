import type { OutboxRow } from "~/stores/outbox.store";
import { renderEmail } from "../../emails/index";
import { composeMessage } from "./mime.server";
import { SmtpPool } from "./smtp-pool.server";
import { setEmailBrand, type EmailBrand } from "../../emails/brand";

/** SMTP connections the pool keeps open; the worker keeps a few messages in flight per connection. */
const EMAIL_POOL_CONNECTIONS = 8;

/** `brand`: the operator's branding every e-mail shows (plain data, so it crosses to the e-mail thread). */
export type EmailTransportOptions = { smtpUrl: string; from: string; ignoreTLS?: boolean; maxConnections?: number; maxMessages?: number; brand?: EmailBrand };

/** What an e-mail needs from its outbox row (all of it can cross to the e-mail thread). */
export type EmailJob = Pick<OutboxRow, "recipient" | "template" | "message_id">;

/**
 * Email over SMTP; the outbox row's Message-ID is reused on every retry. Connections are pooled
 * and reused (a few of them, each replaced after `maxMessages`), so a burst does not pay a TCP/TLS
 * handshake and an EHLO per message; the worker keeps several messages in flight and the pool
 * spreads them over its connections (docs/decisions/0012). The message is composed here
 * (mime.server.ts) and sent as it is by a pool of nodemailer's SMTP connections (smtp-pool.server.ts,
 * docs/decisions/0033).
 *
 * No database, no logger: this module also runs alone in the e-mail thread (email-thread.server.ts).
 */
export function createEmailSender(options: EmailTransportOptions): {
  send: (job: EmailJob, payload: Record<string, unknown>) => Promise<void>;
  close: () => void;
} {
  if (options.brand) setEmailBrand(options.brand);
  const pool = new SmtpPool({
    url: options.smtpUrl,
    // A plain local relay (smtp:// without TLS or AUTH) must work; smtps:// always uses TLS.
    ignoreTLS: options.ignoreTLS,
    maxConnections: options.maxConnections ?? EMAIL_POOL_CONNECTIONS,
    maxMessages: options.maxMessages ?? 100,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(job, payload) {
      const message = renderEmail(job.template, payload);
      // Base64 bodies, not quoted-printable: native, and every client decodes either.
      const composed = composeMessage({
        from: options.from,
        to: job.recipient,
        subject: message.subject,
        html: message.html,
        text: message.text,
        messageId: job.message_id,
        headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
      });
      await pool.send(composed.envelope, composed.raw);
    },
    close: () => pool.close(),
  };
}
