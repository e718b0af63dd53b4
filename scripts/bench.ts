/**
 * `npm run bench`: starts the real portal as deployed (NODE_ENV=production, production build, temp
 * database, SMTP to a local sink) and prints latency and server-CPU figures for the recovery
 * endpoints. Figures only: no pass/fail, because a
 * shared 2-core machine makes timing assertions flaky.
 */
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { startApp } from "../tests/helpers/app";
import { startSmtpSink } from "../tests/helpers/smtp-sink";

const N = Number(process.env.BENCH_REQUESTS ?? 200);

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5).toFixed(1), p90: q(0.9).toFixed(1), p99: q(0.99).toFixed(1), max: s[s.length - 1].toFixed(1) };
}

async function time(fn: () => Promise<Response>): Promise<number> {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  return performance.now() - t;
}

const mail = await startSmtpSink();
const app = await startApp({
  smtpUrl: mail.url,
  env: {
    TRUST_PROXY: "loopback",
    LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "100000",
    LIMIT_REQUESTS_PER_IP_PER_15MIN: "100000",
    LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "100000",
    LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "100000",
    LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100000",
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    TEST_HOOKS: "0",
    ALLOW_INSECURE_ORIGIN: "1",
    SMS_PROVIDER: "webhook",
    SMS_WEBHOOK_URL: "http://127.0.0.1:9/sms",
    SMS_WEBHOOK_SECRET: "bench-webhook-secret-0123456789",
  },
});
await app.cli(["user", "add", "--username", "benchuser", "--email", "bench@example.test", "--password-stdin"], "granite willow ferry compass");

/** The portal's own process (found by its database path), to read its CPU time from /proc. */
function serverPid(): number | null {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, "utf8").includes(`DATABASE_PATH=${app.dbPath}`) && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("server.ts")) return Number(pid);
    } catch {
      // processes come and go
    }
  }
  return null;
}
const pid = serverPid();
const TICK_MS = 1000 / 100; // USER_HZ
function cpuMs(): number {
  if (!pid) return NaN;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
const cpu: Record<string, string> = {};

const post = (path: string, body: Record<string, string>, ip: string) =>
  fetch(app.origin + path, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: app.origin, "x-forwarded-for": ip },
    body: new URLSearchParams(body),
  });

const rows: Record<string, ReturnType<typeof stats>> = {};
const known: number[] = [];
const unknown: number[] = [];
// Unknown names first: they queue no message, so the CPU figure is the request path alone
// (the outbox worker renders and sends the known ones' e-mails while they run).
let cpuStart = cpuMs();
for (let i = 0; i < N; i++) unknown.push(await time(() => post("/forgot-password", { identifier: `nobody${i}` }, `10.1.${(i >> 8) & 255}.${i & 255}`)));
cpu["POST /forgot-password (unknown)"] = `${(((cpuMs() - cpuStart) / N) * 1000).toFixed(0)} µs server CPU per request`;
cpuStart = cpuMs();
for (let i = 0; i < N; i++) known.push(await time(() => post("/forgot-password", { identifier: "benchuser" }, `10.3.${(i >> 8) & 255}.${i & 255}`)));
cpu["POST /forgot-password (existing)"] = `${(((cpuMs() - cpuStart) / N) * 1000).toFixed(0)} µs server CPU per request, the outbox worker's e-mails included`;
rows["POST /forgot-password (existing)"] = stats(known);
rows["POST /forgot-password (unknown)"] = stats(unknown);

const pages: number[] = [];
for (let i = 0; i < N; i++) pages.push(await time(() => fetch(app.origin + "/forgot-password")));
rows["GET /forgot-password"] = stats(pages);

const logins: number[] = [];
for (let i = 0; i < Math.min(N, 50); i++) {
  logins.push(await time(() => post("/login", { identifier: "benchuser", password: "granite willow ferry compass" }, `10.2.0.${i}`)));
}
rows["POST /login (Argon2id verify)"] = stats(logins);

const t0 = performance.now();
const before = mail.messages.length;
// Wait for the worker to send what the run queued (the test hook that drains it is off in production).
for (let last = -1; mail.messages.length !== last; await new Promise((r) => setTimeout(r, 1000))) last = mail.messages.length;
const sent = mail.messages.length - before;
console.log(`Latency in ms over ${N} sequential requests (loopback, one client):`);
console.table(rows);
for (const [what, figure] of Object.entries(cpu)) console.log(`${what}: ${figure}`);
console.log(`Outbox drained ${sent} queued emails in ${(performance.now() - t0).toFixed(0)} ms after the run.`);
await app.stop();
await mail.close();
