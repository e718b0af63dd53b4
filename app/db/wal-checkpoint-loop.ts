/**
 * The WAL checkpoint loop, run off the request thread (by the e-mail thread, email-thread.worker.ts;
 * started and stopped by wal-checkpoints.server.ts; docs/decisions/0029): copies the SQLite WAL
 * back into the database file on a connection of its own, so that a saturated request thread does
 * not stall for it.
 *
 * A passive checkpoint never waits for a reader or a writer and never blocks one; it returns
 * "busy" at once when another connection is checkpointing.
 */
import BetterSqlite3 from "better-sqlite3";

export type CheckpointLoopData = {
  file: string;
  /** Int32Array slots: CONTROL_STOP, CONTROL_PASSES. */
  control: SharedArrayBuffer;
  /** Pause between two checkpoints, and from `nearFrames` frames in the WAL on. */
  restMs: number;
  nearMs: number;
  nearFrames: number;
};

/** Set to 1 by the request thread: the loop closes its connection at its next turn. */
export const CONTROL_STOP = 0;
/** Checkpoints run so far (tests, diagnostics). */
export const CONTROL_PASSES = 1;
export const CONTROL_SLOTS = 2;

type CheckpointRow = { busy: number; log: number; checkpointed: number };

/**
 * Starts the loop in this thread; returns a function that ends it at once (and closes its
 * connection). A checkpoint that throws (an I/O error) ends the loop and goes to `onError`: the
 * request thread's own checkpoints still run, so nothing else depends on this loop.
 */
export function startCheckpointLoop(data: CheckpointLoopData, onError: (error: unknown) => void): () => void {
  const control = new Int32Array(data.control);
  const raw = new BetterSqlite3(data.file, { fileMustExist: true });
  // Each checkpoint syncs the WAL before copying and the database file after, as the request
  // thread's own checkpoints do, so the WAL restarts only over frames that are safe on disk.
  raw.pragma("synchronous = NORMAL");
  let timer: NodeJS.Timeout | undefined;
  const end = () => {
    clearTimeout(timer);
    if (raw.open) raw.close();
  };
  const pass = () => {
    if (Atomics.load(control, CONTROL_STOP) !== 0) return end();
    let row: CheckpointRow;
    try {
      [row] = raw.pragma("wal_checkpoint(PASSIVE)") as CheckpointRow[];
    } catch (error) {
      end();
      onError(error);
      return;
    }
    Atomics.add(control, CONTROL_PASSES, 1);
    // Near the request thread's own threshold, keep what is left to copy down to a batch or two,
    // so that the checkpoint the request thread runs there (which restarts the WAL) is short.
    timer = setTimeout(pass, row.log >= data.nearFrames ? data.nearMs : data.restMs);
    // The thread's own work (its message port) decides whether it stays alive, not this loop.
    timer.unref();
  };
  pass();
  return end;
}
