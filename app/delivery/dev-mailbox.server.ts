import type { AddressObject } from "mailparser";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import * as store from "~/stores/dev-mailbox.store";

/**
 * Development only: an SMTP catcher on loopback that stores every message it receives, shown at
 * /dev/mailbox. The console SMS adapter writes here too, so one page shows everything sent.
 */

export type { MailboxMessage } from "~/stores/dev-mailbox.store";

function addresses(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return "";
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(", ");
}

export async function storeMailboxMessage(db: Db, now: number, m: Omit<store.MailboxMessage, "id" | "received_at">): Promise<void> {
  // Keep the development mailbox small.
  await store.insertMailboxMessage(db, { ...m, received_at: now }, 500);
}

export async function listMailbox(db: Db, limit = 100): Promise<store.MailboxMessage[]> {
  return store.listMailbox(db, limit);
}

export async function getMailboxMessage(db: Db, id: number): Promise<store.MailboxMessage | undefined> {
  return store.getMailboxMessage(db, id);
}

export async function startDevMailbox(db: Db, clock: Clock): Promise<{ port: number; close: () => Promise<void> }> {
  // Loaded here, not at the top: production never starts the mailbox, and mailparser alone is
  // about 6 MiB of heap.
  const [{ SMTPServer }, { simpleParser }] = await Promise.all([import("smtp-server"), import("mailparser")]);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    size: 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) =>
          storeMailboxMessage(db, clock.now(), {
            channel: "email",
            sender: addresses(mail.from),
            recipients: addresses(mail.to),
            subject: mail.subject ?? null,
            text_body: mail.text ?? null,
            html_body: typeof mail.html === "string" ? mail.html : null,
          }),
        )
        .then(() => callback())
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
