import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { CONTROL_PASSES, CONTROL_SLOTS, CONTROL_STOP, type CheckpointLoopData } from "./wal-checkpoint-loop";

/** A thread that can run the checkpoint loop (the e-mail thread, email-thread.server.ts). */
export type CheckpointHost = {
  /** Starts the loop; `ended` is called once when it fails (with the error) or its thread stops. */
  run(data: CheckpointLoopData, ended: (error?: Error) => void): void;
};

export type WalCheckpointOptions = {
  /**
   * The loop starts only once the WAL file has reached this many bytes (8 MiB): a short burst
   * never needs it, and starting the e-mail thread for it would cost more than it saves.
   */
  startBytes?: number;
  /** The loop stops when the request thread has not been saturated for this long (2 s). */
  idleMs?: number;
  /** Pause between two checkpoints (100 ms), and from `nearFrames` frames in the WAL on (2 ms). */
  restMs?: number;
  nearMs?: number;
  nearFrames?: number;
  /** A loop that failed is reported here; the next start waits `retryMs` (60 s). */
  onError?: (error: Error) => void;
  retryMs?: number;
};

const CHECK_MS = 100;

/**
 * Moves the copying of the WAL off the request thread while it is saturated (docs/decisions/0029).
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold, on the request
 * thread: at 10,000 pages it stalled every request in flight for about 40 ms, twice a second under
 * a reset storm, and set the p99 latency. The loop copies the WAL into the database file as it
 * grows, on another thread and connection. The automatic checkpoint still runs on the request
 * thread at the threshold, but finds only the last batch or two left to copy, and the WAL restarts
 * after it as before. So the threshold still bounds the WAL, and a portal whose loop is not
 * running (quiet, no host, stopped, failed) works as it did without one.
 *
 * The group commit reports every batch it opens (`saturated`); the loop starts then, on the host's
 * thread, once the WAL file has reached `startBytes`, and stops after `idleMs` without a batch.
 */
export class WalCheckpoints {
  readonly #file: string;
  readonly #options: Required<Omit<WalCheckpointOptions, "onError">> & Pick<WalCheckpointOptions, "onError">;
  #host: CheckpointHost | undefined;
  #control: Int32Array | undefined;
  #running = false;
  #lastSaturated = 0;
  /** When the WAL's size was last looked at (at most every CHECK_MS while the loop is off). */
  #checkedAt = -Infinity;
  #failedAt = -Infinity;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(file: string, options: WalCheckpointOptions = {}) {
    this.#file = file;
    this.#options = { startBytes: 8 * 1024 * 1024, idleMs: 2_000, restMs: 100, nearMs: 2, nearFrames: 7_000, retryMs: 60_000, ...options };
  }

  /** The thread to run the loop on; without one, checkpoints stay on the request thread. */
  attach(host: CheckpointHost): void {
    this.#host = host;
  }

  /** The request thread is saturated (a batch opened): start the loop unless it runs. Cheap. */
  saturated(): void {
    this.#lastSaturated = performance.now();
    if (this.#running || !this.#host || this.#closed || this.#lastSaturated - this.#failedAt < this.#options.retryMs) return;
    if (this.#lastSaturated - this.#checkedAt < CHECK_MS) return;
    this.#checkedAt = this.#lastSaturated;
    if (this.#walBytes() < this.#options.startBytes) return;
    this.#start(this.#host);
  }

  /** The WAL file's size: its high-water mark since it was last truncated (0 if there is none). */
  #walBytes(): number {
    try {
      return fs.statSync(`${this.#file}-wal`).size;
    } catch {
      return 0;
    }
  }

  get running(): boolean {
    return this.#running;
  }

  /** Checkpoints the current (or last) loop has run. */
  stats(): { passes: number } {
    const control = this.#control;
    return { passes: control ? Atomics.load(control, CONTROL_PASSES) : 0 };
  }

  /** Tells the loop to stop; it closes its connection at its next turn. */
  close(): void {
    this.#closed = true;
    this.#stop();
  }

  #start(host: CheckpointHost): void {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
    const { restMs, nearMs, nearFrames } = this.#options;
    this.#control = control;
    this.#running = true;
    this.#idleTimer = setInterval(() => {
      if (performance.now() - this.#lastSaturated >= this.#options.idleMs) this.#stop();
    }, Math.max(10, this.#options.idleMs / 4));
    this.#idleTimer.unref();
    host.run({ file: this.#file, control: control.buffer as SharedArrayBuffer, restMs, nearMs, nearFrames }, (error) => {
      if (this.#control !== control) return;
      this.#stop();
      if (!error) return;
      this.#failedAt = performance.now();
      this.#options.onError?.(error);
    });
  }

  #stop(): void {
    clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#running = false;
    if (this.#control) Atomics.store(this.#control, CONTROL_STOP, 1);
  }
}
