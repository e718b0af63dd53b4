// The worker side of tests/helpers/pg-sync.ts: one pg Client, one query at a time. Plain
// JavaScript so that it loads in a bare worker thread (no tsx, no vitest transform).
import { Buffer } from "node:buffer";
import { workerData } from "node:worker_threads";
import pg from "pg";

const { url, port, signal } = workerData;
const flag = new Int32Array(signal);
// int8 (COUNT(*), BIGINT epoch ms) as a JS number, so rows look like SQLite's.
const types = { getTypeParser: (oid, format) => (oid === 20 ? (v) => (v === null ? null : Number(v)) : pg.types.getTypeParser(oid, format)) };
const client = new pg.Client({ connectionString: url, types });
const connected = client.connect();
client.on("error", () => undefined);

port.on("message", async ({ id, sql, params, end }) => {
  let reply;
  try {
    if (end) {
      await connected.catch(() => undefined);
      await client.end();
      reply = { id, rows: [], rowCount: 0 };
    } else {
      await connected;
      const values = params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
      const res = await client.query(sql, values);
      const last = Array.isArray(res) ? res.at(-1) : res;
      reply = { id, rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
    }
  } catch (error) {
    reply = { id, error: { message: error instanceof Error ? error.message : String(error), code: error?.code } };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
