import v8 from "node:v8";
import { Worker } from "node:worker_threads";
import type { EmailTransportOptions } from "./email-transport.server";
import type { SendJob, SendResult, ThreadReply, ThreadRequest } from "./email-thread.worker";
import type { Sender } from "./outbox.server";
import type { CheckpointHost } from "~/db/wal-checkpoints.server";

/**
 * The e-mail sender the portal runs: rendering and SMTP happen in a worker thread, so under a
 * request storm the e-mails still leave on the other core instead of waiting for turns of a
 * saturated event loop. The outbox rows stay on this thread's connection: the worker claims and
 * settles them here, the thread only renders and sends (docs/decisions/0014).
 *
 * A thread that dies (a crash, an out-of-memory) fails the messages it held, so the outbox
 * retries them with backoff as for any failed send, and the next message starts a new thread.
 *
 * Messages cross in batches both ways: the ones handed over in one turn of this thread's event
 * loop go in one `postMessage`, and the thread answers for those sent within a millisecond in one.
 * A message to a thread waiting in its event loop has to wake it, and on the 2-core bench machine
 * that cost the sender about 55 µs, once per e-mail each way (docs/decisions/0032).
 *
 * The same thread hosts the WAL checkpoint loop while the request thread is saturated
 * (`checkpoints`, docs/decisions/0029): a thread of its own would cost about 10 MiB more.
 */
export function createThreadedEmailSender(options: EmailTransportOptions): { send: Sender; checkpoints: CheckpointHost; close: () => Promise<void> } {
  let thread: Worker | undefined;
  let closed = false;
  let nextId = 1;
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  /** Messages handed over this turn, posted together at its end (one wake-up of the thread, not one each). */
  let outgoing: SendJob[] = [];
  /** Told when the checkpoint loop ends: with its error, or with none when the thread stopped. */
  let checkpointsEnded: ((error?: Error) => void) | undefined;
  const endCheckpoints = (error?: Error) => {
    const ended = checkpointsEnded;
    checkpointsEnded = undefined;
    ended?.(error);
  };

  const failAll = (reason: string) => {
    // Not yet posted: they must not reach a new thread after their senders were told they failed.
    outgoing = [];
    for (const { reject } of pending.values()) reject(new Error(reason));
    pending.clear();
    endCheckpoints();
  };

  const settle = ({ id, error }: SendResult) => {
    const waiting = pending.get(id);
    if (!waiting) return;
    pending.delete(id);
    if (error === undefined) waiting.resolve();
    else waiting.reject(new Error(error));
  };

  const start = (): Worker => {
    const worker = spawn(options);
    worker.on("message", (reply: ThreadReply) => {
      if ("checkpoints" in reply) return endCheckpoints(new Error(reply.error));
      for (const result of reply.sent) settle(result);
      if (pending.size === 0) worker.unref();
    });
    worker.on("error", (err) => {
      if (thread === worker) thread = undefined;
      failAll(`e-mail thread failed: ${err.message}`);
    });
    worker.on("exit", () => {
      if (thread === worker) thread = undefined;
      failAll("e-mail thread stopped");
    });
    // An idle thread must not keep a finished process (a test, a script) alive; a busy one must.
    worker.unref();
    return worker;
  };

  const flush = () => {
    const jobs = outgoing;
    outgoing = [];
    if (jobs.length === 0) return;
    thread ??= start();
    thread.ref();
    thread.postMessage({ type: "send", jobs } satisfies ThreadRequest);
  };

  return {
    send(row, payload) {
      const id = nextId++;
      const sent = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
      outgoing.push({ id, job: { recipient: row.recipient, template: row.template, message_id: row.message_id }, payload });
      if (outgoing.length === 1) setImmediate(flush);
      return sent;
    },
    checkpoints: {
      run(data, ended) {
        if (closed) return ended();
        thread ??= start();
        checkpointsEnded = ended;
        thread.postMessage({ type: "checkpoints", data } satisfies ThreadRequest);
      },
    },
    /** Call after the outbox worker stopped (no message in flight): closes the pool and ends the thread. */
    async close() {
      closed = true;
      flush();
      const worker = thread;
      thread = undefined;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ type: "close" } satisfies ThreadRequest);
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * From source (tsx, tests) this module is a .ts file next to the worker's .ts entry, which the
 * thread loads through tsx's API (a thread does not inherit the loader); in the compiled server it
 * is bundled into build/server.js and the entry is build/email-thread.worker.js, plain JavaScript
 * (scripts/build-server.mjs builds both).
 */
function spawn(options: EmailTransportOptions): Worker {
  return withSemiSpace(EMAIL_THREAD_SEMI_SPACE_MB, () => {
    if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./email-thread.worker.js", import.meta.url), { workerData: options });
    const entry = new URL("./email-thread.worker.ts", import.meta.url).href;
    // Resolved from the working folder (the project's, for npm scripts and tests).
    const boot = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: options });
  });
}

/**
 * The e-mail thread's young generation, in MiB per semi-space: half the request thread's 8
 * (`npm start`). Under a reset storm the thread renders and sends without pause, and V8 grows a busy
 * young generation to its limit: 16 MiB at 8, 8 MiB at 4, about 8 MiB less peak RSS for the
 * portal (docs/decisions/0030).
 */
export const EMAIL_THREAD_SEMI_SPACE_MB = 4;

/**
 * Starts a thread whose heap has `semiSpaceMb` per semi-space. The process's
 * `--max-semi-space-size` overrides a Worker's `resourceLimits`, so the flag itself is set while
 * the thread's isolate is created (V8 reads it only then; isolates already running keep theirs)
 * and put back once the thread is online or gone.
 */
export function withSemiSpace(semiSpaceMb: number, start: () => Worker): Worker {
  const own = processSemiSpaceMb();
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    v8.setFlagsFromString(`--max-semi-space-size=${own}`);
  };
  v8.setFlagsFromString(`--max-semi-space-size=${semiSpaceMb}`);
  let worker: Worker;
  try {
    worker = start();
  } catch (err) {
    restore();
    throw err;
  }
  worker.once("online", restore);
  worker.once("exit", restore);
  return worker;
}

/** The process's own `--max-semi-space-size` (command line or NODE_OPTIONS), or 0: V8's default. */
function processSemiSpaceMb(): number {
  let mb = 0;
  for (const arg of [...(process.env.NODE_OPTIONS ?? "").split(/\s+/), ...process.execArgv]) {
    const m = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(arg);
    if (m) mb = Number(m[1]);
  }
  return mb;
}
