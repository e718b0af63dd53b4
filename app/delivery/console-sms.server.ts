import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import { maskPhone, type Logger } from "~/log.server";
import { renderSms } from "../../emails/index";
import { storeMailboxMessage } from "./dev-mailbox.server";
import type { Sender } from "./outbox.server";

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
