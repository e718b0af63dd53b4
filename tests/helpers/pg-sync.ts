import path from "node:path";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";

/**
 * A synchronous PostgreSQL connection for the probes (tests/helpers/probes.ts), which are
 * synchronous like better-sqlite3: a worker thread holds a `pg` Client; `query` posts the SQL,
 * blocks on Atomics.wait until the worker flags its answer, and takes the answer off the port
 * with receiveMessageOnPort (the synckit pattern). int8 comes back as a number, bytea as a Buffer.
 */

export type SyncResult<T> = { rows: T[]; rowCount: number };
type Reply = { id: number; rows?: Record<string, unknown>[]; rowCount?: number; error?: { message: string; code?: string } };

const WORKER = path.join(import.meta.dirname, "pg-sync-worker.mjs");
const TIMEOUT_MS = 30_000;

/** Structured clone turns Buffers into plain Uint8Arrays: make them Buffers again (like SQLite BLOBs). */
function revive(row: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return row;
}

export class SyncPg {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private next = 0;
  private closed = false;

  constructor(readonly url: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, { workerData: { url, port: port2, signal: this.flag.buffer }, transferList: [port2] });
    // Neither keeps a test process alive; close() ends the connection.
    this.worker.unref();
    this.port.unref();
  }

  private call(message: { sql?: string; params?: unknown[]; end?: boolean }): Reply {
    if (this.closed) throw new Error(`pg-sync: connection to ${this.url} is closed`);
    const id = ++this.next;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, ...message });
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got) {
        const reply = got.message as Reply;
        if (reply.id === id) return reply;
        continue; // an answer to an abandoned (timed out) call
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`pg-sync: no answer in ${TIMEOUT_MS} ms to ${message.sql ?? "end"}`);
      Atomics.wait(this.flag, 0, 0, left);
      Atomics.store(this.flag, 0, 0);
    }
  }

  /** Runs one statement (or, without params, several separated by `;`) and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): SyncResult<T> {
    const reply = this.call({ sql, params });
    if (reply.error) throw Object.assign(new Error(`${reply.error.message} (in: ${sql})`), { code: reply.error.code });
    return { rows: (reply.rows ?? []).map(revive) as T[], rowCount: reply.rowCount ?? 0 };
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ end: true });
    } finally {
      this.closed = true;
      void this.worker.terminate();
    }
  }
}
