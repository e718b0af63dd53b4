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

/** One message to render and send; `id` is the request thread's, echoed in its result. */
export type SendJob = { id: number; job: EmailJob; payload: Record<string, unknown> };
export type SendResult = { id: number; error?: string };

export type ThreadRequest = { type: "send"; jobs: SendJob[] } | { type: "checkpoints"; data: CheckpointLoopData } | { type: "close" };
/** Messages sent (or failed), or the checkpoint loop's failure. */
export type ThreadReply = { sent: SendResult[] } | { checkpoints: "failed"; error: string };

/**
 * How long a result waits for others to share its reply. Each reply wakes the request thread
 * (about 55 µs of this thread's time on the bench machine when that one is idle); results come in
 * one per SMTP answer, each in its own turn, so waiting for the end of the turn batched nothing.
 */
const REPLY_WINDOW_MS = 1;

const port = parentPort;
if (port) {
  const sender = createEmailSender(workerData as EmailTransportOptions);
  let endCheckpoints: (() => void) | undefined;
  let results: SendResult[] = [];
  const reply = () => {
    const sent = results;
    results = [];
    if (sent.length > 0) port.postMessage({ sent } satisfies ThreadReply);
  };
  const done = (result: SendResult) => {
    results.push(result);
    if (results.length === 1) setTimeout(reply, REPLY_WINDOW_MS);
  };
  const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
  port.on("message", (request: ThreadRequest) => {
    if (request.type === "close") {
      reply();
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
    for (const { id, job, payload } of request.jobs) {
      sender.send(job, payload).then(
        () => done({ id }),
        (err: unknown) => done({ id, error: errorText(err) }),
      );
    }
  });
}
