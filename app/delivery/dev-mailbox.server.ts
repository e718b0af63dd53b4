import { SMTPServer } from "smtp-server";
import { simpleParser, type AddressObject } from "mailparser";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";

/**
 * Development only: an SMTP catcher on loopback that stores every message it receives, shown at
 * /dev/mailbox. The console SMS adapter writes here too, so one page shows everything sent.
 */
export type MailboxMessage = {
  id: number;
  received_at: number;
  channel: "email" | "sms";
  sender: string | null;
  recipients: string;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
};

function addresses(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return "";
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(", ");
}

export function storeMailboxMessage(db: Db, now: number, m: Omit<MailboxMessage, "id" | "received_at">): void {
  db.prepare(
    "INSERT INTO dev_mailbox (received_at, channel, sender, recipients, subject, text_body, html_body) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(now, m.channel, m.sender, m.recipients, m.subject, m.text_body, m.html_body);
  // Keep the development mailbox small.
  db.prepare("DELETE FROM dev_mailbox WHERE id <= (SELECT MAX(id) - 500 FROM dev_mailbox)").run();
}

export function listMailbox(db: Db, limit = 100): MailboxMessage[] {
  return db.prepare("SELECT * FROM dev_mailbox ORDER BY id DESC LIMIT ?").all(limit) as MailboxMessage[];
}

export function getMailboxMessage(db: Db, id: number): MailboxMessage | undefined {
  return db.prepare("SELECT * FROM dev_mailbox WHERE id = ?").get(id) as MailboxMessage | undefined;
}

export async function startDevMailbox(db: Db, clock: Clock): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    size: 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          storeMailboxMessage(db, clock.now(), {
            channel: "email",
            sender: addresses(mail.from),
            recipients: addresses(mail.to),
            subject: mail.subject ?? null,
            text_body: mail.text ?? null,
            html_body: typeof mail.html === "string" ? mail.html : null,
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
