import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { DevMailboxTable } from "~/db/schema";

/** dev_mailbox: what the development SMTP catcher and the console SMS adapter received. */

export type MailboxMessage = Omit<Selectable<DevMailboxTable>, "channel"> & { channel: "email" | "sms" };

/** Stores a message and keeps only the newest `keep`. */
export async function insertMailboxMessage(db: Db, row: Omit<MailboxMessage, "id">, keep: number): Promise<void> {
  await db.insertInto("dev_mailbox").values(row).execute();
  await db
    .deleteFrom("dev_mailbox")
    .where("id", "<=", (eb) => eb.selectFrom("dev_mailbox").select((eb) => eb(eb.fn.max("id"), "-", keep).as("cut")))
    .execute();
}

export async function listMailbox(db: Db, limit: number): Promise<MailboxMessage[]> {
  return (await db.selectFrom("dev_mailbox").selectAll().orderBy("id", "desc").limit(limit).execute()) as MailboxMessage[];
}

export async function getMailboxMessage(db: Db, id: number): Promise<MailboxMessage | undefined> {
  return (await db.selectFrom("dev_mailbox").selectAll().where("id", "=", id).executeTakeFirst()) as MailboxMessage | undefined;
}
