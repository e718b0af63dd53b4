/**
 * `npm run bench`: starts the real portal (production build, temp database, SMTP to a local sink)
 * and prints latency figures for the recovery endpoints. Figures only: no pass/fail, because a
 * shared 2-core machine makes timing assertions flaky.
 */
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
  },
});
await app.cli(["user", "add", "--username", "benchuser", "--email", "bench@example.test", "--password-stdin"], "granite willow ferry compass");

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
for (let i = 0; i < N; i++) {
  const ip = `10.1.${(i >> 8) & 255}.${i & 255}`;
  known.push(await time(() => post("/forgot-password", { identifier: "benchuser" }, ip)));
  unknown.push(await time(() => post("/forgot-password", { identifier: `nobody${i}` }, ip)));
}
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
await app.drainOutbox();
const sent = mail.messages.length - before;
console.log(`Latency in ms over ${N} sequential requests (loopback, one client):`);
console.table(rows);
console.log(`Outbox drained ${sent} queued emails in ${(performance.now() - t0).toFixed(0)} ms after the run.`);
await app.stop();
await mail.close();
