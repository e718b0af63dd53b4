/**
 * `npm run bench`: the one place the performance figures of issue 12 come from. It starts the real
 * portal as deployed (NODE_ENV=production through tests/helpers/app.ts, a temporary database with
 * 1,000 accounts imported by the CLI, SMTP to a local sink), drives it with autocannon and prints:
 *
 * - the machine (CPU model, cores, Node);
 * - per endpoint and load: requests/s, p50/p99 latency (p99 also without each connection's
 *   first answer, which waits for the portal to accept the connection), server CPU per request
 *   (from the server process's own /proc/<pid>/stat: all its threads, plus any process it
 *   started), event-loop delay p99 (prom-client's `nodejs_eventloop_lag_p99_seconds`, a
 *   `monitorEventLoopDelay` histogram that each /metrics scrape resets, so no server change is
 *   needed);
 * - password completion (POST /login with the right password: the same Argon2id verify);
 * - the outbox: e-mails/s for a burst of known requests; e-mails/s and CPU per e-mail (all
 *   threads, and the request thread's share) draining a backlog queued while nothing else runs,
 *   twice (the first drain still pays for V8 optimising the e-mail path of a young process);
 *   request → SMTP-accepted latency for known requests sent while the reset endpoint is under
 *   full load; known requests at a steady rate the outbox keeps up with, whose CPU counts each
 *   request with its own e-mail, in two rounds (the first on a young process, as above). The SMTP
 *   sink runs in a process of its own
 *   (scripts/smtp-sink-process.ts);
 * - the request alone: the reset-type loads again on a web-only portal (OUTBOX_WORKER=0), so a
 *   known request's CPU is not mixed with its e-mail's;
 * - the timing oracle: known/unknown identifiers interleaved on one keep-alive connection, median
 *   gap and a two-sided Mann-Whitney U test;
 * - peak RSS (VmHWM) and start-up time (spawn to the first 200 on /healthz).
 *
 * Figures only, never pass/fail: a shared 2-core machine makes timing assertions flaky.
 * Limits stay on; only their numbers are raised so the load is not refused.
 *
 * - engines and nodes: the reset request on SQLite (one portal) and on PostgreSQL (one and two
 *   portals sharing a throwaway cluster), with the database server's CPU beside the portals'.
 *   `npm run bench -- --engine postgres --nodes 2` runs only that configuration.
 *
 * Knobs (environment): BENCH_SCALE (multiplies every duration and count, default 1),
 * BENCH_SECONDS (per load phase, 8), BENCH_ACCOUNTS (1000), BENCH_ORACLE (2000 requests),
 * BENCH_BURST (known requests in the outbox burst, 1000), BENCH_BACKLOG (e-mails in the outbox
 * backlog, 3000), BENCH_DRAIN_SECONDS (longest wait for the burst's or the backlog's e-mails, 40),
 * BENCH_TRACKED_RATE (known requests/s tracked to the SMTP sink under load, 20), BENCH_STEADY_RATE
 * (known requests/s in the steady-rate rows, 400), BENCH_SERVER_ENV
 * (a JSON object of environment variables for the portals, to measure a setting against the
 * default in one run, e.g. '{"MALLOC_ARENA_MAX":"8"}').
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { portalProcesses, readProc, startApp, TEST_METRICS_TOKEN, type TestApp } from "../tests/helpers/app";
import { probes } from "../tests/helpers/probes";
import { startPostgres } from "../tests/helpers/postgres";
import { startSmtpSinkProcess } from "./smtp-sink-process";
import { openDatabase, transaction } from "../app/db/db.server";
import { enqueue } from "../app/delivery/outbox.server";

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const knob = (name: string, dflt: number) => Math.max(1, Math.round(Number(process.env[name] ?? dflt) * (process.env[name] ? 1 : SCALE)));
const SECONDS = knob("BENCH_SECONDS", 8);
const ACCOUNTS = knob("BENCH_ACCOUNTS", 1000);
const ORACLE = knob("BENCH_ORACLE", 2000);
const BURST = knob("BENCH_BURST", 1000);
const BACKLOG = knob("BENCH_BACKLOG", 3000);
const DRAIN_SECONDS = knob("BENCH_DRAIN_SECONDS", 40);
const TRACKED_RATE = Number(process.env.BENCH_TRACKED_RATE ?? 20);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 400);
const PASSWORD = "granite willow ferry compass";
const benchStarted = performance.now();

// ---- machine --------------------------------------------------------------------------------

function machine() {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
  return {
    CPU: model + (mhz ? ` (${Math.round(Number(mhz))} MHz)` : ""),
    cores: `${os.availableParallelism()} available (${os.cpus().length} listed), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
  };
}

// ---- the server process, as the kernel sees it ------------------------------------------------

const TICK_MS = 1000 / 100; // USER_HZ

/** utime + stime (+ cutime + cstime: children it has waited for) of one process, in ms. */
function cpuOf(statFile: string, withChildren: boolean): number {
  const stat = readProc(statFile);
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS;
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readProc(`/proc/${pid}/status`) ?? "");
  return m ? Number(m[1]) : 0;
}

type Cpu = { total: number; main: number };

type Portal = {
  app: TestApp;
  label: string;
  /** The process that answers HTTP (the largest one of the tree at start). */
  pid: number;
  startupMs: number;
  cpu: () => Cpu;
  /** VmHWM of the HTTP process, and summed over every process of the tree (e.g. tsx's esbuild). */
  peakRssMiB: () => { server: number; tree: number };
  /** Scrapes /metrics and returns one gauge (the scrape also resets the event-loop histogram). */
  gauge: (name: string) => Promise<number>;
  stop: () => Promise<void>;
};

const CSV_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
const accountsCsv = path.join(CSV_DIR, "accounts.csv");
const user = (i: number) => `bench${String(i).padStart(4, "0")}`;
const emailOf = (i: number) => `${user(i)}@example.test`;
fs.writeFileSync(accountsCsv, ["username,email,phone", ...Array.from({ length: ACCOUNTS }, (_, i) => `${user(i)},${emailOf(i)},`)].join("\n") + "\n");

async function startPortal(label: string, mail: { url: string }, options: { env?: Record<string, string>; importAccounts?: boolean } = {}): Promise<Portal> {
  const t0 = performance.now();
  const app = await startApp({
    smtpUrl: mail.url,
    compiled: true,
    env: {
      ...options.env,
      NODE_ENV: "production",
      TEST_HOOKS: "0",
      ALLOW_INSECURE_ORIGIN: "1",
      TRUST_PROXY: "loopback",
      // The limits stay on (every request still consumes them); only their numbers are raised.
      LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "100000",
      LIMIT_REQUESTS_PER_IP_PER_15MIN: "100000",
      LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "100000",
      LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "100000",
      LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100000",
      // Logs at the default level (info), as deployed: a request line and a security event per
      // request, a line per message sent (docs/decisions/0038).
      LOG_LEVEL: "info",
      SMS_PROVIDER: "webhook",
      SMS_WEBHOOK_URL: "http://127.0.0.1:9/sms",
      SMS_WEBHOOK_SECRET: "bench-webhook-secret-0123456789",
      ...(process.env.BENCH_SERVER_ENV ? JSON.parse(process.env.BENCH_SERVER_ENV) : {}),
    },
  });
  for (;;) {
    const ok = await fetch(app.origin + "/healthz").then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await sleep(5);
  }
  const startupMs = performance.now() - t0;
  const tree = portalProcesses(app.dbPath);
  if (tree.length === 0) throw new Error("cannot find the portal's process in /proc");
  const pid = tree.reduce((a, b) => (statusField(b, "VmRSS") > statusField(a, "VmRSS") ? b : a));
  if (options.importAccounts !== false) {
    const imported = await app.cli(["user", "import", accountsCsv]);
    if (imported.code !== 0) throw new Error(`user import failed: ${imported.stderr}`);
    const added = await app.cli(["user", "add", "--username", "benchpw", "--email", "benchpw@example.test", "--password-stdin"], PASSWORD);
    if (added.code !== 0) throw new Error(`user add failed: ${added.stderr}`);
  }
  const hwm = new Map<number, number>();
  const peakRssMiB = () => {
    for (const p of portalProcesses(app.dbPath)) hwm.set(p, Math.max(hwm.get(p) ?? 0, statusField(p, "VmHWM")));
    return { server: (hwm.get(pid) ?? 0) / 1024, tree: [...hwm.values()].reduce((x, y) => x + y, 0) / 1024 };
  };
  return {
    app,
    label,
    pid,
    startupMs,
    cpu: () => {
      // The HTTP process with the children it waited for, plus any live process of the tree.
      let total = cpuOf(`/proc/${pid}/stat`, true);
      for (const p of portalProcesses(app.dbPath)) if (p !== pid) total += cpuOf(`/proc/${p}/stat`, false);
      return { total, main: cpuOf(`/proc/${pid}/task/${pid}/stat`, false) };
    },
    peakRssMiB,
    gauge: async (name) => {
      const res = await fetch(app.origin + "/metrics", { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
      const text = await res.text();
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
      return m ? Number(m[1]) : NaN;
    },
    stop: async () => {
      peakRssMiB();
      // A portal with a long queue may take its time to stop: do not wait for it for ever.
      const stopped = app.stop();
      const timer = setTimeout(() => {
        for (const p of portalProcesses(app.dbPath)) {
          try {
            process.kill(p, "SIGKILL");
          } catch {
            // gone already
          }
        }
      }, 10_000);
      await stopped;
      clearTimeout(timer);
      fs.rmSync(app.dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- load ----------------------------------------------------------------------------------

let ipCounter = 0;
/** A fresh client address (10.x.y.z) for each connection of each phase. */
const nextIp = () => {
  const n = ++ipCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
let unknownCounter = 0;
let knownCounter = 0;

type Endpoint = { path: string; field: string; known: () => string; unknown: () => string };
const FORGOT_PASSWORD: Endpoint = {
  path: "/forgot-password",
  field: "identifier",
  known: () => user(knownCounter++ % ACCOUNTS),
  unknown: () => `nobody${++unknownCounter}`,
};
const UNLOCK: Endpoint = { ...FORGOT_PASSWORD, path: "/unlock" };
const FORGOT_USERNAME: Endpoint = {
  path: "/forgot-username",
  field: "contact",
  known: () => emailOf(knownCounter++ % ACCOUNTS),
  unknown: () => `nobody${++unknownCounter}@example.test`,
};

type Row = Record<string, string | number>;
type Load = { result: autocannon.Result; cpu: Cpu; requests: number; loopP99: number; wallMs: number; open: OpenLatency };

/**
 * Latency on connections already open: every response but each connection's first. The first one
 * also waits for the portal to accept the connection. Node's libuv accepts one connection per poll
 * of the event loop, so a saturated portal used to accept a burst of new connections one turn
 * apart: the last of 50 waited up to about 0.4 s. The portal now accepts a burst before it starts
 * more requests (0037). Each load opens its 50 connections at once, so in a 4-second load those
 * first answers are about 0.6 % of all, inside the top 1 %. Both are printed: "p99 ms" over every
 * answer, as autocannon gives it, and the longest first answer.
 */
type OpenLatency = { p99: number; firstMax: number };

function openLatency(instance: autocannon.Instance): () => OpenLatency {
  const seen = new Set<unknown>();
  const times: number[] = [];
  let firstMax = 0;
  instance.on("response", (client: unknown, _status: number, _bytes: number, ms: number) => {
    if (seen.has(client)) times.push(ms);
    else {
      seen.add(client);
      firstMax = Math.max(firstMax, ms);
    }
  });
  return () => ({ p99: times.length ? Math.round(quantile(times, 0.99)) : 0, firstMax: Math.round(firstMax) });
}

const statuses = (r: autocannon.Result) =>
  Object.entries((r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count}`)
    .join(" ") + (r.errors ? ` errors×${r.errors}` : "") + (r.timeouts ? ` timeouts×${r.timeouts}` : "");

/** autocannon against one portal; every connection presents its own X-Forwarded-For. */
async function load(
  portal: Portal,
  options: { path: string; connections: number; body: () => string; seconds?: number; amount?: number; rate?: number; headers?: Record<string, string> },
): Promise<Load> {
  const { app } = portal;
  await portal.gauge("nodejs_eventloop_lag_p99_seconds"); // resets the histogram
  const cpu0 = portal.cpu();
  const t0 = performance.now();
  const instance = autocannon({
    url: app.origin + options.path,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? SECONDS }),
    ...(options.rate ? { overallRate: options.rate } : {}),
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: app.origin },
    setupClient: (client) => client.setHeaders({ "content-type": "application/x-www-form-urlencoded", origin: app.origin, "x-forwarded-for": nextIp(), ...options.headers }),
    requests: [{ setupRequest: (req) => ({ ...req, body: options.body() }) }],
    // Without a callback autocannon returns its instance, which is also a promise of the result.
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  const open = openLatency(instance);
  const result = await instance;
  const wallMs = performance.now() - t0;
  const cpu1 = portal.cpu();
  const loopP99 = (await portal.gauge("nodejs_eventloop_lag_p99_seconds")) * 1000;
  const requests = result.requests.total;
  return { result, cpu: { total: cpu1.total - cpu0.total, main: cpu1.main - cpu0.main }, requests, loopP99, wallMs, open: open() };
}

function loadRow(what: string, l: Load): Row {
  return {
    what,
    "req/s": Math.round(l.requests / (l.wallMs / 1000)),
    "p50 ms": l.result.latency.p50,
    "p99 ms": l.result.latency.p99,
    "p99 ms, open connections": l.open.p99,
    "1st answer max ms": l.open.firstMax,
    "CPU µs/req": Math.round((l.cpu.total / l.requests) * 1000),
    "main thread µs/req": Math.round((l.cpu.main / l.requests) * 1000),
    "loop p99 ms": Number(l.loopP99.toFixed(1)),
    answers: statuses(l.result),
  };
}

const form = (field: string, value: string) => new URLSearchParams({ [field]: value }).toString();

// ---- statistics --------------------------------------------------------------------------------

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes' erfcc), good in the tails. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Two-sided Mann-Whitney U test, normal approximation with tie and continuity corrections. */
function mannWhitney(a: number[], b: number[]): { u: number; z: number; p: number } {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  const n1 = a.length;
  const n2 = b.length;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1].v === all[i].v) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tied run
    for (let k = i; k <= j; k++) if (all[k].g === 0) rankSumA += rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const diff = u - mu;
  const z = sigma === 0 ? 0 : (diff - Math.sign(diff) * 0.5) / sigma;
  return { u, z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

// ---- one keep-alive connection ------------------------------------------------------------------

/** POSTs over a dedicated agent; resolves with the status once the whole answer is read. */
function postOn(agent: http.Agent, portal: Portal, pathName: string, body: string, ip: string): Promise<number> {
  const url = new URL(portal.app.origin + pathName);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(body),
          origin: portal.app.origin,
          "x-forwarded-for": ip,
        },
      },
      (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

// ---- the run --------------------------------------------------------------------------------------


const show = (title: string, rows: Row[] | Record<string, unknown>) => {
  console.log(`\n${title}`);
  console.table(rows);
};
const note = (text: string) => console.log(text);

// ---- engines and nodes (issue 13) -----------------------------------------------------------------

type EngineConfig = { engine: "sqlite" | "postgres"; nodes: number };

/** `--engine sqlite|postgres` and `--nodes N` pick one configuration and run only this section. */
function engineArgs(argv: string[]): EngineConfig | null {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const engine = value("--engine");
  const nodes = value("--nodes");
  if (engine === undefined && nodes === undefined) return null;
  if (engine !== undefined && engine !== "sqlite" && engine !== "postgres") throw new Error("--engine must be sqlite or postgres");
  const n = Number(nodes ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error("--nodes must be a whole number from 1 to 8");
  const chosen = (engine ?? "sqlite") as EngineConfig["engine"];
  if (chosen === "sqlite" && n > 1) throw new Error("several nodes need a shared database: use --engine postgres");
  return { engine: chosen, nodes: n };
}

/** CPU seconds of a PostgreSQL cluster: the postmaster with the backends it reaped, plus live ones. */
function clusterCpu(dir: string): number {
  const pid = Number((readProc(path.join(dir, "data", "postmaster.pid")) ?? "").split("\n")[0]);
  if (!pid) return 0;
  let total = cpuOf(`/proc/${pid}/stat`, true);
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    const stat = readProc(`/proc/${p}/stat`);
    if (stat && Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) total += cpuOf(`/proc/${p}/stat`, false);
  }
  return total;
}

/**
 * The reset request on each configuration: one portal on SQLite, and 1..N portals sharing one
 * PostgreSQL database (a throwaway cluster on this machine, like the tests'). autocannon spreads
 * its connections over the nodes' URLs. CPU is the portals' processes, and the database server's
 * separately (SQLite's is inside the portal).
 */
async function engineRows(configs: EngineConfig[], mail: { url: string }): Promise<Row[]> {
  const rows: Row[] = [];
  const cluster = configs.some((c) => c.engine === "postgres") ? await startPostgres() : null;
  try {
    for (const config of configs) {
      const databaseUrl = config.engine === "postgres" ? await cluster!.createDatabase() : null;
      const env: Record<string, string> = databaseUrl ? { DATABASE_URL: databaseUrl } : {};
      const nodes: Portal[] = [];
      for (let i = 0; i < config.nodes; i++) nodes.push(await startPortal(`${config.engine} node ${i + 1}`, mail, { env, importAccounts: i === 0 }));
      const label = `${config.engine === "sqlite" ? "SQLite" : "PostgreSQL"}, ${config.nodes} node${config.nodes > 1 ? "s" : ""}`;
      const cpu = () => nodes.reduce((sum, n) => sum + n.cpu().total, 0);
      const dbCpu = () => (cluster && databaseUrl ? clusterCpu(cluster.dir) : 0);
      const run = async (kind: "known" | "unknown", seconds: number) => {
        const cpu0 = cpu();
        const db0 = dbCpu();
        const t0 = performance.now();
        const result = await autocannon({
          // autocannon takes several URLs and spreads the connections over them (its types say one).
          url: nodes.map((n) => n.app.origin + FORGOT_PASSWORD.path) as unknown as string,
          connections: 50,
          duration: seconds,
          method: "POST",
          // Each connection talks to one node and must name that node's origin (Origin checks).
          setupClient: (client) => {
            const port = (client as unknown as { opts: { port: number } }).opts.port;
            const node = nodes.find((n) => n.app.port === Number(port)) ?? nodes[0]!;
            client.setHeaders({ "content-type": "application/x-www-form-urlencoded", origin: node.app.origin, "x-forwarded-for": nextIp() });
          },
          requests: [{ setupRequest: (req) => ({ ...req, body: form("identifier", FORGOT_PASSWORD[kind]()) }) }],
        });
        const wallMs = performance.now() - t0;
        const n = result.requests.total;
        return {
          configuration: label,
          identifiers: kind,
          "req/s": Math.round(n / (wallMs / 1000)),
          "p50 ms": result.latency.p50,
          "p99 ms": result.latency.p99,
          "portal CPU µs/req": Math.round(((cpu() - cpu0) / n) * 1000),
          "database server CPU µs/req": databaseUrl ? Math.round(((dbCpu() - db0) / n) * 1000) : "(in the portal)",
          answers: statuses(result),
        };
      };
      // Warm-up with both kinds: a new portal's first seconds are V8 optimising the request path,
      // and a known request runs code an unknown one does not (on PostgreSQL the first 3 s cost
      // about twice the steady state; docs/decisions/0040).
      for (const kind of ["unknown", "known"] as const) await run(kind, Math.max(2, SECONDS / 2));
      rows.push(await run("unknown", SECONDS));
      rows.push(await run("known", SECONDS));
      for (const n of nodes) await n.stop();
    }
  } finally {
    await cluster?.stop();
  }
  return rows;
}

const onlyEngine = engineArgs(process.argv.slice(2));
if (onlyEngine) {
  console.log(`npm run bench -- --engine ${onlyEngine.engine} --nodes ${onlyEngine.nodes}: reset requests only; figures only`);
  show("Machine", machine());
  const sink = await startSmtpSinkProcess();
  show(`Reset requests, 50 connections spread over the nodes (${SECONDS} s each)`, await engineRows([onlyEngine], sink));
  await sink.close();
  fs.rmSync(CSV_DIR, { recursive: true, force: true });
  process.exit(0);
}


console.log("npm run bench: production build, SQLite, autocannon; figures only");
show("Machine", machine());
note(`Scale: ${SECONDS} s per load phase, ${ACCOUNTS} accounts, oracle ${ORACLE} requests, burst ${BURST}, backlog ${BACKLOG}, tracked ${TRACKED_RATE}/s.`);

const mail = await startSmtpSinkProcess();
const startups: Row[] = [];
const rss: Row[] = [];
const rssRow = (p: Portal): Row => {
  const peak = p.peakRssMiB();
  return { portal: p.label, "HTTP process peak RSS MiB (VmHWM)": Math.round(peak.server), "all its processes MiB": Math.round(peak.tree) };
};
const knownRecipients = new Set(Array.from({ length: ACCOUNTS }, (_, i) => emailOf(i)));

// ---- A: the request path ----------------------------------------------------------------------

const a = await startPortal("A (requests)", mail);
startups.push({ portal: a.label, "spawn → first 200 /healthz ms": Math.round(a.startupMs) });
note(`\nPortal A started in ${Math.round(a.startupMs)} ms (pid ${a.pid}); ${ACCOUNTS} accounts imported.`);

await load(a, { path: FORGOT_PASSWORD.path, connections: 10, seconds: 2, body: () => form("identifier", FORGOT_PASSWORD.unknown()) }); // warm-up

/** The four reset-type loads, for known or unknown identifiers. */
async function resetLoads(kind: "known" | "unknown"): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [endpoint, connections] of [
    [FORGOT_PASSWORD, 10],
    [FORGOT_PASSWORD, 50],
    [UNLOCK, 50],
    [FORGOT_USERNAME, 50],
  ] as const) {
    const l = await load(a, { path: endpoint.path, connections, body: () => form(endpoint.field, endpoint[kind]()) });
    rows.push(loadRow(`POST ${endpoint.path} ${kind}, ${connections} conn`, l));
  }
  return rows;
}
// Memory after each phase of portal A: where the peak comes from.
const memoryByPhase: Row[] = [];
const memoryAfter = async (phase: string) => {
  const mib = (bytes: number) => Math.round(bytes / 1048576);
  memoryByPhase.push({
    phase,
    "RSS now MiB": Math.round(statusField(a.pid, "VmRSS") / 1024),
    "peak so far MiB": Math.round(statusField(a.pid, "VmHWM") / 1024),
    // The request thread's V8 heap (prom-client); the rest of RSS is code, threads and native memory.
    "main heap used / total MiB": `${mib(await a.gauge("nodejs_heap_size_used_bytes"))} / ${mib(await a.gauge("nodejs_heap_size_total_bytes"))}`,
  });
};
await memoryAfter("started, accounts imported");
const unknownRows = await resetLoads("unknown");
await memoryAfter("reset-type loads, unknown identifiers");

// Password completion: the right password, so every request runs the Argon2id verify.
const loginLoad = await load(a, {
  path: "/login",
  connections: 8,
  body: () => new URLSearchParams({ identifier: "benchpw", password: PASSWORD }).toString(),
});
// The same from a browser that signed in to this account before (its device cookie): the common
// case. Every sign-in above came from a new browser, so each also queued a new-device notice.
const signedIn = await fetch(a.app.origin + "/login", {
  method: "POST",
  redirect: "manual",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: a.app.origin, "x-forwarded-for": nextIp() },
  body: new URLSearchParams({ identifier: "benchpw", password: PASSWORD }).toString(),
});
const deviceCookie = signedIn.headers.getSetCookie().find((c) => /^(__Host-)?device=/.test(c))?.split(";")[0];
if (!deviceCookie) throw new Error("the sign-in set no device cookie");
const knownLoginLoad = await load(a, {
  path: "/login",
  connections: 8,
  body: () => new URLSearchParams({ identifier: "benchpw", password: PASSWORD }).toString(),
  headers: { cookie: deviceCookie },
});
await memoryAfter("password completion (Argon2id)");

// Timing oracle: known and unknown interleaved (random order within each pair) on ONE keep-alive
// connection, the outbox rendering and sending the known ones' e-mails meanwhile.
const oracleAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const oracleIp = nextIp();
const known: number[] = [];
const unknown: number[] = [];
// The same times by the kind of the request just before on the connection: work a request leaves
// behind (the outbox woken after a known one) lands on the next one, whatever its kind.
const afterPrevious: Record<string, number[]> = { "known after known": [], "known after unknown": [], "unknown after known": [], "unknown after unknown": [] };
let previousKind: "known" | "unknown" | null = null;
const oracleWarmup = 100;
const oracleCpu0 = a.cpu();
const oracleMail0 = mail.messages.length;
const oracleT0 = performance.now();
for (let i = 0; i < oracleWarmup + ORACLE / 2; i++) {
  const order = Math.random() < 0.5 ? (["known", "unknown"] as const) : (["unknown", "known"] as const);
  for (const kind of order) {
    const body = form("identifier", kind === "known" ? FORGOT_PASSWORD.known() : FORGOT_PASSWORD.unknown());
    const t = performance.now();
    const status = await postOn(oracleAgent, a, "/forgot-password", body, oracleIp);
    const ms = performance.now() - t;
    if (status !== 303) throw new Error(`oracle request answered ${status}`);
    if (i >= oracleWarmup) {
      (kind === "known" ? known : unknown).push(ms);
      if (previousKind) afterPrevious[`${kind} after ${previousKind}`].push(ms);
    }
    previousKind = kind;
  }
}
const oracleWall = performance.now() - oracleT0;
const oracleCpu = a.cpu().total - oracleCpu0.total;
oracleAgent.destroy();
const mw = mannWhitney(known, unknown);
const oracleSent = mail.messages.length - oracleMail0;
await memoryAfter("timing oracle");

const knownRows = await resetLoads("known");
await memoryAfter("reset-type loads, known identifiers (e-mails rendered meanwhile)");
const aProbe = probes(() => a.app);
const aQueued = aProbe.outboxUndelivered();
rss.push(rssRow(a));
await a.stop();

show(`Reset-type requests, unknown identifiers (${SECONDS} s each; CPU = the server process, all threads)`, unknownRows);
show(`Reset-type requests, known identifiers (${SECONDS} s each; CPU includes the outbox's work on these e-mails during the window; ${aQueued} e-mails still queued at the end)`, knownRows);
const completionRow = (what: string, l: Load) => ({
  ...loadRow(what, l),
  "completions/s per core (1 s / CPU per completion)": Number((1000 / (l.cpu.total / l.requests)).toFixed(1)),
});
show("Password completion (Argon2id verify per request)", [
  completionRow("POST /login right password, new browser (a notice each), 8 conn", loginLoad),
  completionRow("POST /login right password, known browser, 8 conn", knownLoginLoad),
]);
show("Timing oracle: POST /forgot-password on one keep-alive connection, outbox running", {
  requests: `${known.length} known + ${unknown.length} unknown (after ${2 * oracleWarmup} warm-up)`,
  "median known ms": Number(median(known).toFixed(3)),
  "median unknown ms": Number(median(unknown).toFixed(3)),
  "median gap ms (known − unknown)": Number((median(known) - median(unknown)).toFixed(3)),
  "Mann-Whitney U": mw.u,
  z: Number(mw.z.toFixed(2)),
  "p (two-sided)": Number(mw.p.toPrecision(3)),
  "server CPU µs/request": Math.round((oracleCpu / (2 * (oracleWarmup + ORACLE / 2))) * 1000),
  "e-mails delivered meanwhile": `${oracleSent} in ${(oracleWall / 1000).toFixed(1)} s`,
});
show(
  "Timing oracle by the request before (carry-over: the same request times, split by what came just before on the connection)",
  Object.entries(afterPrevious).map(([what, times]) => ({ what, requests: times.length, "median ms": Number(median(times).toFixed(3)), "p90 ms": Number(quantile(times, 0.9).toFixed(3)) })),
);

// ---- A2: the request alone ----------------------------------------------------------------------
// Portal A's known rows also count the e-mail work its thread does during the window (each e-mail
// has its own budget, measured under B). A web-only portal (OUTBOX_WORKER=0: its messages stay
// queued for a worker) separates the two: the same 50-connection loads, known and unknown, with
// no rendering or sending beside them.
{
  const a2 = await startPortal("A2 (requests, outbox off)", mail, { env: { OUTBOX_WORKER: "0" } });
  await load(a2, { path: FORGOT_PASSWORD.path, connections: 10, seconds: 2, body: () => form("identifier", FORGOT_PASSWORD.unknown()) }); // warm-up
  const rows: Row[] = [];
  for (const kind of ["unknown", "known"] as const) {
    for (const endpoint of [FORGOT_PASSWORD, UNLOCK, FORGOT_USERNAME]) {
      const l = await load(a2, { path: endpoint.path, connections: 50, body: () => form(endpoint.field, endpoint[kind]()) });
      rows.push(loadRow(`POST ${endpoint.path} ${kind}, 50 conn`, l));
    }
  }
  await a2.stop();
  show(`The request alone: a web-only portal (OUTBOX_WORKER=0), no e-mail rendered or sent during the window (${SECONDS} s each)`, rows);
}

// ---- B: the outbox ------------------------------------------------------------------------------

/** Sends known reset requests at `rate`/s to distinct accounts; returns each one's send time. */
async function tracked(portal: Portal, rate: number, seconds: number, firstAccount: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const sent = new Map<string, number>();
  const pending: Promise<unknown>[] = [];
  const t0 = performance.now();
  const count = Math.max(1, Math.round(rate * seconds));
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const k = (firstAccount + i) % ACCOUNTS;
    sent.set(emailOf(k), performance.now());
    pending.push(postOn(agent, portal, "/forgot-password", form("identifier", user(k)), nextIp()));
  }
  const answers = await Promise.allSettled(pending);
  agent.destroy();
  return { sent, refused: answers.filter((r) => r.status === "rejected" || r.value !== 303).length };
}

/** Waits until `done()` or `timeoutMs`, polling every 20 ms. */
async function until(done: () => boolean, timeoutMs: number) {
  const t0 = performance.now();
  while (!done() && performance.now() - t0 < timeoutMs) await sleep(20);
  return done();
}

let b = await startPortal("B (outbox)", mail);
startups.push({ portal: b.label, "spawn → first 200 /healthz ms": Math.round(b.startupMs) });
note(`\nPortal B started in ${Math.round(b.startupMs)} ms (pid ${b.pid}).`);
let bProbe = probes(() => b.app);
await load(b, { path: FORGOT_PASSWORD.path, connections: 10, seconds: 2, body: () => form("identifier", FORGOT_PASSWORD.unknown()) }); // warm-up
// Warm the outbox's render and send path too, then start from an empty queue.
const warm = await tracked(b, 50, 0.4, ACCOUNTS - 20);
await until(() => bProbe.outboxUndelivered() === 0, 15_000);
void warm;

// Known requests at a steady rate the outbox keeps up with, as most of the time in production:
// every request's e-mail is sent during the window or just after, so the CPU counted from the
// first request to the last e-mail is each request with its own e-mail, on every thread. The
// 50-connection loads above saturate the portal and leave most of their e-mails queued.
// Each load runs twice, back to back: the first round still pays for V8 optimising this kind of
// request and its e-mail (a portal a few seconds old); the second is what a portal that has been
// running pays.
const steadyRows: Row[] = [];
for (const [endpoint, rate, round] of [
  [FORGOT_PASSWORD, STEADY_RATE, "first round"],
  [FORGOT_PASSWORD, STEADY_RATE, "second round"],
  [UNLOCK, STEADY_RATE, "first round"],
  [UNLOCK, STEADY_RATE, "second round"],
] as const) {
  const first = mail.messages.length;
  const cpu0 = b.cpu();
  const sink0 = mail.cpuMs();
  const l = await load(b, { path: endpoint.path, connections: 10, rate, body: () => form(endpoint.field, endpoint.known()) });
  const loadEnd = performance.now();
  const all = await until(() => mail.messages.length - first >= l.requests, 15_000);
  const lastAt = Math.max(...mail.messages.slice(first).map((m) => m.receivedAt));
  const cpu1 = b.cpu();
  const perRequest = (ms: number) => Math.round((ms / l.requests) * 1000);
  steadyRows.push({
    what: `POST ${endpoint.path} known, ${rate}/s, 10 conn, ${round}`,
    "req/s": Math.round(l.requests / (l.wallMs / 1000)),
    "p50 ms": l.result.latency.p50,
    "p99 ms": l.result.latency.p99,
    "e-mails sent": all ? `all ${l.requests}` : `${mail.messages.length - first} of ${l.requests}`,
    "last e-mail after the load ms": Math.max(0, Math.round(lastAt - loadEnd)),
    "CPU µs/req with its e-mail": perRequest(cpu1.total - cpu0.total),
    "main thread µs/req": perRequest(cpu1.main - cpu0.main),
    "sink CPU µs/req": perRequest(mail.cpuMs() - sink0),
    answers: statuses(l.result),
  });
}

// Request → SMTP accepted while the reset endpoint is under full load: 50 connections of unknown
// identifiers saturate it while known requests go in at TRACKED_RATE, each to its own account.
const loadT0 = performance.now();
const [underLoad, track] = await Promise.all([
  load(b, { path: FORGOT_PASSWORD.path, connections: 50, body: () => form("identifier", FORGOT_PASSWORD.unknown()) }),
  sleep(500).then(() => tracked(b, TRACKED_RATE, Math.max(1, SECONDS - 1.5), 0)),
]);
const loadEnd = performance.now();
const arrivalOf = (to: string, after: number) => mail.messages.find((m) => m.receivedAt >= after && m.to.includes(to))?.receivedAt;
await until(() => [...track.sent].every(([to, t]) => arrivalOf(to, t) !== undefined), 15_000);
const latencies = [...track.sent].map(([to, t]) => {
  const at = arrivalOf(to, t);
  return at === undefined ? Infinity : at - t;
});
const deliveredUnderLoad = [...track.sent].filter(([to, t]) => (arrivalOf(to, t) ?? Infinity) <= loadEnd).length;
const waitedS = ((performance.now() - loadEnd) / 1000).toFixed(1);
const fmtMs = (v: number) => (Number.isFinite(v) ? Math.round(v) : `> ${Math.round(performance.now() - loadT0)} (not delivered)`);
const underLoadTable = {
  load: `POST /forgot-password unknown, 50 conn, ${SECONDS} s: ${loadRow("", underLoad)["req/s"]} req/s, p99 ${underLoad.result.latency.p99} ms`,
  tracked: `${track.sent.size} known requests at ${TRACKED_RATE}/s (${track.refused} not answered 303)`,
  "delivered during the load": deliveredUnderLoad,
  [`delivered by ${waitedS} s after the load (waits up to 15 s)`]: latencies.filter(Number.isFinite).length,
  "request → SMTP accepted p50 ms": fmtMs(quantile(latencies, 0.5)),
  "request → SMTP accepted p95 ms": fmtMs(quantile(latencies, 0.95)),
  "max ms": fmtMs(Math.max(...latencies)),
};

// A burst of BURST known requests (one per account), then the drain: first to last message at the
// sink, and the server's CPU from the end of the burst to the last message (nothing else runs).
if (!(await until(() => bProbe.outboxUndelivered() === 0, 10_000))) {
  rss.push(rssRow(b));
  const left = bProbe.outboxUndelivered();
  await b.stop();
  b = await startPortal("C (outbox burst)", mail);
  bProbe = probes(() => b.app);
  startups.push({ portal: b.label, "spawn → first 200 /healthz ms": Math.round(b.startupMs) });
  note(`\nPortal B still had ${left} e-mails queued: the burst runs on a fresh portal C (started in ${Math.round(b.startupMs)} ms).`);
  await tracked(b, 50, 0.4, ACCOUNTS - 20);
  await until(() => bProbe.outboxUndelivered() === 0, 15_000);
}
const burstFirstIndex = mail.messages.length;
let burstAccount = 0;
const burst = await load(b, { path: FORGOT_PASSWORD.path, connections: 50, amount: BURST, body: () => form("identifier", user(burstAccount++ % ACCOUNTS)) });
const burstEnd = performance.now();
const burstMails = () => mail.messages.slice(burstFirstIndex).filter((m) => knownRecipients.has(m.to[0] ?? ""));
await until(() => burstMails().length >= burst.requests, DRAIN_SECONDS * 1000);
const got = burstMails();
const times = got.map((m) => m.receivedAt).sort((x, y) => x - y);
const afterBurst = times.filter((t) => t > burstEnd).length;
const outboxTable = {
  burst: `${burst.requests} known requests, 50 conn, in ${(burst.wallMs / 1000).toFixed(1)} s (${statuses(burst.result)})`,
  delivered: got.length >= burst.requests ? `all ${got.length}` : `${got.length} of ${burst.requests} within ${DRAIN_SECONDS} s of the burst`,
  "first → last message s": times.length > 1 ? Number(((times[times.length - 1] - times[0]) / 1000).toFixed(2)) : "-",
  "e-mails/s first → last": times.length > 1 ? Math.round((times.length - 1) / ((times[times.length - 1] - times[0]) / 1000)) : "-",
  "sent during the burst": got.length - afterBurst,
  "still to send when the burst ended": afterBurst,
};

// A backlog: BACKLOG e-mails written straight into the queue in one transaction (what an outage of
// the mail relay or a batch job leaves behind), then drained with no request running: e-mails/s,
// and the server's CPU per e-mail for the whole process and for its main (request) thread. Twice:
// portal B is seconds old at the first, and V8 was still optimising the e-mail path through it
// (with --trace-opt, about 0.7 s of compiling on its background threads in a 1,500-e-mail drain),
// which a portal that has run for a while has long done. The second drain is the sustained rate.
async function drainBacklog(round: number) {
  await until(() => bProbe.outboxUndelivered() === 0, 10_000);
  const to = (i: number) => `backlog${round}-${i}@example.test`;
  const first = mail.messages.length;
  const cpu0 = b.cpu();
  const sinkCpu0 = mail.cpuMs();
  const backlogDb = openDatabase(b.app.dbPath, { lock: { trackHolder: false, waitLimitMs: 30_000 } });
  await transaction(backlogDb.db, async (trx) => {
    for (let i = 0; i < BACKLOG; i++) {
      await enqueue(trx, Date.now(), "portal.example", {
        channel: "email",
        to: to(i),
        template: "password-reset",
        payload: {
          appName: "Account Recovery",
          username: user(i),
          link: `https://portal.example/reset/${"t".repeat(40)}${i}`,
          code: String(100000 + i),
          minutes: 30,
          codeMinutes: 10,
          supportUrl: "https://portal.example/assisted-recovery",
        },
      });
    }
  });
  await backlogDb.close();
  const mails = () => mail.messages.slice(first).filter((m) => (m.to[0] ?? "").startsWith(`backlog${round}-`));
  const done = await until(() => mails().length >= BACKLOG, DRAIN_SECONDS * 1000);
  const cpu = b.cpu();
  const sinkCpu = mail.cpuMs() - sinkCpu0;
  const times = mails().map((m) => m.receivedAt).sort((x, y) => x - y);
  const span = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  const n = times.length;
  return {
    delivered: done ? `all ${n}` : `${n} of ${BACKLOG} within ${DRAIN_SECONDS} s`,
    "e-mails/s first → last": span > 0 ? Math.round((n - 1) / span) : "-",
    "server CPU µs per e-mail (all threads)": n ? Math.round(((cpu.total - cpu0.total) / n) * 1000) : "-",
    "main (request) thread CPU µs per e-mail": n ? Math.round(((cpu.main - cpu0.main) / n) * 1000) : "-",
    "sink (its own process) CPU µs per e-mail": n ? Math.round((sinkCpu / n) * 1000) : "-",
  };
}
const firstDrain = await drainBacklog(1);
const secondDrain = await drainBacklog(2);
const backlogTable = Object.fromEntries(
  Object.entries(firstDrain).map(([k, v]) => [k, { "first drain": v, "second drain (sustained)": secondDrain[k as keyof typeof secondDrain] }]),
);
rss.push(rssRow(b));
await b.stop();

// The same reset request on each engine and node count, in this one run (issue 13).
const engineTable = await engineRows(
  [
    { engine: "sqlite", nodes: 1 },
    { engine: "postgres", nodes: 1 },
    { engine: "postgres", nodes: 2 },
  ],
  mail,
);
await mail.close();

show(`Known requests at a steady rate, each with its e-mail: CPU from the first request to the last e-mail (${SECONDS} s each)`, steadyRows);
show("Outbox under load: known requests tracked to the SMTP sink while the reset endpoint is saturated", underLoadTable);
show(`Outbox burst: ${BURST} reset e-mails (one per account), pooled to a local SMTP sink`, outboxTable);
show(`Outbox backlog: ${BACKLOG} reset e-mails queued in one transaction, drained with nothing else running (twice)`, backlogTable);
show(`Engines and nodes: POST /forgot-password, 50 connections spread over the nodes (${SECONDS} s each)`, engineTable);
show("Start-up (NODE_ENV=production, the compiled build/server.js that npm start runs)", startups);
show("Peak memory of the server process(es)", rss);
show("Memory of portal A after each phase", memoryByPhase);
note(`\nBench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`);
fs.rmSync(CSV_DIR, { recursive: true, force: true });
process.exit(0);
