/**
 * The e-mail thread's entry point (a worker_threads Worker started by email-thread.server.ts):
 * renders each e-mail and hands it to the pooled SMTP transport, off the request thread. It holds
 * no database connection and logs nothing; every outcome goes back to the main thread, which
 * settles the outbox row and logs (docs/decisions/0014).
 */
import { parentPort, workerData } from "node:worker_threads";
import { createEmailSender, type EmailJob, type EmailTransportOptions } from "./email-transport.server";

export type ThreadRequest = { type: "send"; id: number; job: EmailJob; payload: Record<string, unknown> } | { type: "close" };
export type ThreadReply = { id: number; error?: string };

const port = parentPort;
if (port) {
  const sender = createEmailSender(workerData as EmailTransportOptions);
  port.on("message", (message: ThreadRequest) => {
    if (message.type === "close") {
      sender.close();
      port.close();
      return;
    }
    sender.send(message.job, message.payload).then(
      () => port.postMessage({ id: message.id } satisfies ThreadReply),
      (err: unknown) => port.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) } satisfies ThreadReply),
    );
  });
}
