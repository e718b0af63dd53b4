/**
 * Outbox throughput, on its own: `npx tsx scripts/outbox-throughput.ts [count]`.
 *
 * 1. Queues `count` (default 2,000) password-reset e-mails into a temporary SQLite file, runs the
 *    real worker and the threaded e-mail sender the portal runs (docs/decisions/0014) against the
 *    test SMTP sink (tests/helpers/smtp-sink.ts, in a child process so its parsing is not
 *    counted) and prints e-mails/s and this process's CPU per e-mail, all threads and the main
 *    thread's share.
 * 2. Simulated request load: 50 clients each loop "one reset request" (about 1 ms of CPU on the
 *    main thread; one in ten is a write transaction that queues one e-mail and kicks the worker)
 *    for 10 s; prints how many requests ran and enqueue → SMTP-accepted p50/p95 for the e-mails
 *    they caused.
 * Figures are printed, never asserted. `npm run bench` measures the whole portal.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate, openDatabase, transaction } from "~/db/db.server";
import { createLogger } from "~/log.server";
import { OutboxWorker, enqueue } from "~/delivery/outbox.server";
import { createThreadedEmailSender } from "~/delivery/email-thread.server";

const count = Number(process.argv[2] ?? 2000);

/** CPU time of this process's main thread (the one that serves requests in the portal), from /proc. */
function mainThreadCpuMs(): number {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

if (process.env.OUTBOX_SINK_CHILD) {
  const { startSmtpSink } = await import("../tests/helpers/smtp-sink");
  const sink = await startSmtpSink();
  process.send!({ port: sink.port });
  process.on("message", () => process.send!({ received: sink.messages.length }));
  process.on("disconnect", () => process.exit(0));
} else {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, OUTBOX_SINK_CHILD: "1" }, execArgv: ["--import", "tsx"] });
  const port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  const received = () =>
    new Promise<number>((resolve) => {
      child.once("message", (m: { received: number }) => resolve(m.received));
      child.send("count");
    });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "outbox-throughput-"));
  const connection = openDatabase(path.join(dir, "portal.sqlite"), { lock: { trackHolder: false, waitLimitMs: 10_000 } });
  const db = connection.db;
  await migrate(connection);
  const logger = createLogger("warn");
  const payload = (i: number) => ({
    appName: "Account Recovery",
    username: `user${i}`,
    link: `https://portal.example/reset/${"t".repeat(43)}${i}`,
    code: String(100000 + (i % 900000)),
    minutes: 30,
    codeMinutes: 10,
    supportUrl: "https://portal.example/help",
  });
  const queue = (d: typeof db, i: number) =>
    enqueue(d, Date.now(), "portal.example", { channel: "email", to: `user${i}@example.test`, template: "password-reset", payload: payload(i) });

  const email = createThreadedEmailSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from: "Account Recovery <no-reply@portal.example>", ignoreTLS: true });
  const acceptedAt = new Map<string, number>();
  const worker = new OutboxWorker({
    db,
    clock: { now: () => Date.now() },
    logger,
    senders: {
      email: async (row, p) => {
        await email.send(row, p);
        acceptedAt.set(row.id, performance.now());
      },
      sms: async () => {},
    },
    pollMs: 500,
    maxAttempts: 10,
    backoffBaseMs: 2000,
  });

  // Warm up (module loading, first render, first connection) outside the figures.
  for (let i = 0; i < 20; i++) await queue(db, i);
  await worker.drain();

  for (let i = 0; i < count; i++) await queue(db, i);
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const t0 = performance.now();
  await worker.start();
  while (acceptedAt.size < count + 20) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mainMs = mainThreadCpuMs() - main0;
  console.log(`machine: ${os.cpus()[0]?.model} × ${os.cpus().length}`);
  console.log(
    `idle: ${count} e-mails in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} e-mails/s; ` +
      `worker process CPU ${((cpu.user + cpu.system) / 1000 / count).toFixed(3)} ms per e-mail ` +
      `(main thread ${(mainMs / count).toFixed(3)} ms, the rest is the e-mail thread) ` +
      `(sink received ${await received()})`,
  );

  if (process.env.OUTBOX_IDLE_ONLY) {
    await worker.stop();
    await email.close();
    await connection.close();
    child.kill();
    process.exit(0);
  }

  // Under simulated request load.
  const queuedAt = new Map<string, number>();
  let requests = 0;
  let next = count + 100;
  const end = performance.now() + 10_000;
  const spin = (ms: number) => {
    for (const until = performance.now() + ms; performance.now() < until; );
  };
  const client = async () => {
    while (performance.now() < end) {
      spin(1);
      // One request in ten is for a real account and queues an e-mail (the rest write nothing).
      // Counted before the transaction: counted after it, every client waiting on a commit saw
      // the same count, and the share of e-mails grew with the time a commit takes.
      if (requests++ % 10 === 0) {
        const id = await transaction(db, (trx) => queue(trx, next++));
        queuedAt.set(id, performance.now());
        setImmediate(() => worker.kick());
      }
      await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: 50 }, client));
  const sentDuring = [...queuedAt.keys()].filter((id) => acceptedAt.has(id)).length;
  const waitUntil = performance.now() + 120_000;
  while ([...queuedAt.keys()].some((id) => !acceptedAt.has(id)) && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
  const latencies = [...queuedAt].map(([id, t]) => (acceptedAt.get(id) ?? Infinity) - t).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  console.log(
    `under load (50 clients × ~1 ms CPU, one request in ten queues an e-mail, 10 s): ${requests} requests (${(requests / 10).toFixed(0)}/s), ` +
      `${sentDuring} of their e-mails accepted during the window; enqueue → SMTP accepted p50 ${pct(50).toFixed(0)} ms, p95 ${pct(95).toFixed(0)} ms`,
  );

  await worker.stop();
  await email.close();
  await connection.close();
  child.kill();
  fs.rmSync(dir, { recursive: true, force: true });
}
