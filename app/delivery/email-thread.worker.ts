/**
 * The e-mail thread's entry point (a worker_threads Worker started by email-thread.server.ts):
 * renders each e-mail and hands it to the pooled SMTP transport, off the request thread. It logs
 * nothing and holds no connection to the outbox; every outcome goes back to the main thread,
 * which settles the outbox row and logs (docs/decisions/0014).
 *
 * While the request thread is saturated it also runs the WAL checkpoint loop, on a SQLite
 * connection of its own that only ever checkpoints (docs/decisions/0029).
 */
import { parentPort, workerData } from "node:worker_threads";
import { startCheckpointLoop, type CheckpointLoopData } from "~/db/wal-checkpoint-loop";
import { createEmailSender, type EmailJob, type EmailTransportOptions } from "./email-transport.server";

export type ThreadRequest =
  | { type: "send"; id: number; job: EmailJob; payload: Record<string, unknown> }
  | { type: "checkpoints"; data: CheckpointLoopData }
  | { type: "close" };
/** A sent (or failed) message, or the checkpoint loop's failure. */
export type ThreadReply = { id: number; error?: string } | { checkpoints: "failed"; error: string };

const port = parentPort;
if (port) {
  const sender = createEmailSender(workerData as EmailTransportOptions);
  let endCheckpoints: (() => void) | undefined;
  const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
  port.on("message", (request: ThreadRequest) => {
    if (request.type === "close") {
      endCheckpoints?.();
      sender.close();
      port.close();
      return;
    }
    if (request.type === "checkpoints") {
      // A new loop replaces the one before (which the request thread has already told to stop).
      endCheckpoints?.();
      try {
        endCheckpoints = startCheckpointLoop(request.data, (err) => port.postMessage({ checkpoints: "failed", error: errorText(err) } satisfies ThreadReply));
      } catch (err) {
        endCheckpoints = undefined;
        port.postMessage({ checkpoints: "failed", error: errorText(err) } satisfies ThreadReply);
      }
      return;
    }
    sender.send(request.job, request.payload).then(
      () => port.postMessage({ id: request.id } satisfies ThreadReply),
      (err: unknown) => port.postMessage({ id: request.id, error: errorText(err) } satisfies ThreadReply),
    );
  });
}
