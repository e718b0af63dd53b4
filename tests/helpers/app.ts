import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { testDatabaseUrl, testEngine } from "./postgres";
import { freePort } from "./ports";
import { probes, releaseProbes } from "./probes";

/**
 * Starts the real portal (server.ts with the built Remix app) as a child process on a free port,
 * with its own SQLite file in a temp folder (or, with TEST_ENGINE=postgres, its own fresh database
 * on the run's PostgreSQL cluster, tests/helpers/postgres.ts) and its logs captured to a file.
 * Needs `remix build` first (npm test does it).
 */
export type TestApp = {
  origin: string;
  port: number;
  dir: string;
  dbPath: string;
  /** The portal's PostgreSQL database (DATABASE_URL), or null on SQLite (dbPath). */
  databaseUrl: string | null;
  logPath: string;
  env: Record<string, string>;
  logs: () => string;
  advanceClock: (ms: number) => Promise<void>;
  resetClock: () => Promise<void>;
  /** Stops the portal's clock (true) or lets it run on from where it stood (false). */
  freezeClock: (frozen: boolean) => Promise<void>;
  drainOutbox: () => Promise<number>;
  /** Runs `npm run portal -- ...` against this app's database. */
  cli: (args: string[], stdin?: string) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** Creates accounts `<name>` / `<name>@example.test` (verified, no password) with one CLI import. */
  importUsers: (usernames: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  stop: () => Promise<void>;
};

export const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Limits raised so that tests about something else never trip them. With TRUST_PROXY=loopback,
 * each test client can also present its own address in X-Forwarded-For.
 */
export const RELAXED_LIMITS: Record<string, string> = {
  TRUST_PROXY: "loopback",
  LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "1000",
  LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "1000",
  LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "1000",
};

export { freePort };

export function tempDir(prefix = "portal-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Portals and CLI runs start from the compiled build (`npm run build`: the Remix bundle, and
 * build/server.js and build/cli.js by esbuild), as `npm start` does. Starting from the sources
 * through tsx costs about 0.9 s more CPU per portal and 0.6 s per CLI run, which added minutes to
 * a suite that starts hundreds of them. TEST_FROM_SOURCE=1 runs the sources through tsx instead
 * (then only `remix build` is needed).
 */
const fromSource = process.env.TEST_FROM_SOURCE === "1";

let buildChecked = false;
/** A build older than the code it was built from would test the old code: refuse, saying what to run. */
function assertFreshBuild(): void {
  if (fromSource || buildChecked) return;
  const built = ["build/server.js", "build/cli.js", "build/index.js"].map((f) => path.join(ROOT, f));
  const missing = built.find((f) => !fs.existsSync(f));
  if (missing) throw new Error(`${path.relative(ROOT, missing)} is missing: run \`npm run build\` before the tests (or set TEST_FROM_SOURCE=1)`);
  const builtAt = Math.min(...built.map((f) => fs.statSync(f).mtimeMs));
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const full = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
    }, 0);
  const sourcesAt = Math.max(newest(path.join(ROOT, "app")), newest(path.join(ROOT, "emails")), fs.statSync(path.join(ROOT, "server.ts")).mtimeMs);
  if (sourcesAt > builtAt) throw new Error("the build is older than app/, emails/ or server.ts: run `npm run build` before the tests (or set TEST_FROM_SOURCE=1)");
  buildChecked = true;
}

function runNode(args: string[], env: Record<string, string>, stdin?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, fromSource ? ["--import", "tsx", ...args] : args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

export function runCli(args: string[], env: Record<string, string>, stdin?: string) {
  assertFreshBuild();
  return runNode([fromSource ? "app/cli/main.ts" : "build/cli.js", ...args], env, stdin);
}

/**
 * The environment and Node flags `npm start` gives build/server.js (package.json:
 * `… && NAME=value node <flags> build/server.js`), so test and bench portals run as production does.
 */
export function startCommand(): { env: Record<string, string>; flags: string[] } {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start ?? "";
  const m = /(?:^|&& )((?:[A-Z_]+=\S+ )*)node((?: --?[\w-]+(?:=\S+)?)*) build\/server\.js$/.exec(start);
  if (!m) throw new Error(`package.json's start script does not end with "[NAME=value …] node [flags] build/server.js": ${start}`);
  const env = Object.fromEntries(m[1]!.trim().split(/ +/).filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  return { env, flags: m[2]!.trim().split(/ +/).filter(Boolean) };
}

/** A file under /proc, or null once its process is gone (processes come and go). */
export function readProc(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * A portal's processes: every process whose environment names its database (whatever command
 * starts it: tsx, compiled JavaScript, a wrapper, a worker process), found afresh at each call.
 */
export function portalProcesses(dbPath: string): number[] {
  const needle = `DATABASE_PATH=${dbPath}\0`;
  return fs
    .readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => readProc(`/proc/${p}/environ`)?.includes(needle))
    .map(Number);
}

/** /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (M8); every test portal has this one. */
export const TEST_METRICS_TOKEN = "test-metrics-token-0123456789abcdef0123456789abcdef";

/**
 * Runs build/server.js (what `npm start` runs; build it first with `npm run build`), unless
 * TEST_FROM_SOURCE=1 or `compiled: false` runs server.ts through tsx. The Node flags come from
 * package.json's `start` script, so the two cannot drift apart.
 */
export async function startApp(options: { env?: Record<string, string>; smtpUrl?: string; compiled?: boolean } = {}): Promise<TestApp> {
  const dir = tempDir();
  // A test that must know the port up front (e.g. for an https APP_ORIGIN) passes PORT.
  const chosenPort = Boolean(options.env?.PORT);
  let port = chosenPort ? Number(options.env!.PORT) : await freePort();
  const dbPath = path.join(dir, "portal.sqlite");
  // A test that brings its own DATABASE_URL keeps it; otherwise each portal gets a fresh database.
  const databaseUrl = options.env?.DATABASE_URL ?? (testEngine() === "postgres" ? await testDatabaseUrl() : null);
  const logPath = path.join(dir, "portal.log");
  let origin = `http://localhost:${port}`;
  let env: Record<string, string> = {
    NODE_ENV: "test",
    PORT: String(port),
    HOST: "127.0.0.1",
    APP_ORIGIN: origin,
    DATABASE_PATH: dbPath,
    SECRET_KEY: "test-secret-key-0123456789abcdef0123456789abcdef",
    TEST_HOOKS: "1",
    OUTBOX_POLL_MS: "100",
    OUTBOX_BACKOFF_BASE_MS: "200",
    LOG_LEVEL: "info",
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    ...options.env,
  };
  const log = fs.openSync(logPath, "a");
  const compiled = options.compiled ?? !fromSource;
  if (compiled) assertFreshBuild();
  let child: ChildProcess;
  let stderr = "";
  // A free port can be taken by another test's process between freePort() and the portal's
  // listen (two files run at once): then the portal starts again on another one.
  const start = compiled ? startCommand() : null;
  for (let attempt = 1; ; attempt++) {
    const launched = spawn(process.execPath, start ? [...start.flags, "build/server.js"] : ["--import", "tsx", "server.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...start?.env, ...env },
      stdio: ["ignore", log, "pipe"],
    });
    child = launched;
    stderr = "";
    launched.stderr!.on("data", (d) => {
      stderr += d;
      fs.appendFileSync(logPath, d);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          launched.kill("SIGKILL");
          reject(new Error(`portal did not start: ${stderr}`));
        }, 60_000);
        const check = () => {
          if (stderr.includes("listening on port")) {
            clearTimeout(timer);
            resolve();
          }
        };
        launched.stderr!.on("data", check);
        launched.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`portal exited with ${code}: ${stderr}`));
        });
      });
      break;
    } catch (err) {
      if (chosenPort || attempt >= 3 || !stderr.includes("EADDRINUSE")) throw err;
      port = await freePort();
      origin = `http://localhost:${port}`;
      env = { ...env, PORT: String(port), ...(options.env?.APP_ORIGIN ? {} : { APP_ORIGIN: origin }) };
    }
  }
  let imports = 0;
  let stopped = false;
  const hook = async (p: string, body: unknown) => {
    const res = await fetch(origin + p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${p} answered ${res.status}`);
    return res.json() as Promise<Record<string, number>>;
  };
  return {
    origin,
    port,
    dir,
    dbPath,
    databaseUrl,
    logPath,
    env,
    logs: () => fs.readFileSync(logPath, "utf8"),
    advanceClock: async (ms) => void (await hook("/__test/clock", { advanceMs: ms })),
    resetClock: async () => void (await hook("/__test/clock", { reset: true })),
    freezeClock: async (frozen) => void (await hook("/__test/clock", { freeze: frozen })),
    drainOutbox: async () => (await hook("/__test/outbox/drain", {})).sent,
    cli: (args, stdin) => runCli(args, env, stdin),
    importUsers: (usernames) => {
      const csv = path.join(dir, `import-${++imports}.csv`);
      fs.writeFileSync(csv, ["username,email,phone", ...usernames.map((u) => `${u},${u}@example.test,`)].join("\n") + "\n");
      return runCli(["user", "import", csv], env);
    },
    // Idempotent: a test may stop its portal itself before the file's afterAll does.
    stop: async () => {
      if (stopped) return;
      stopped = true;
      releaseProbes(dbPath);
      if (databaseUrl) releaseProbes(databaseUrl);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.closeSync(log);
    },
  };
}

export type NewAccount = { username: string; email?: string; phone?: string; unverified?: boolean; password?: string };

/**
 * Creates accounts as an operator does, checked to succeed, with as few CLI processes as possible
 * (one `user import` per verification state, one `user add` per account with a password), since
 * each process pays for start-up. The email defaults to `<username>@example.test`. Returns what
 * each CLI run printed.
 */
export async function addAccounts(target: TestApp, accounts: NewAccount[]) {
  const emailOf = (a: NewAccount) => a.email ?? `${a.username}@example.test`;
  const jobs: ReturnType<typeof runCli>[] = [];
  for (const unverified of [false, true]) {
    const batch = accounts.filter((a) => a.password === undefined && Boolean(a.unverified) === unverified);
    if (batch.length === 0) continue;
    const csv = path.join(target.dir, `accounts-${unverified ? "unverified" : "verified"}-${Date.now()}.csv`);
    fs.writeFileSync(csv, ["username,email,phone", ...batch.map((a) => `${a.username},${emailOf(a)},${a.phone ?? ""}`)].join("\n") + "\n");
    jobs.push(runCli(["user", "import", ...(unverified ? ["--unverified"] : []), csv], target.env));
  }
  for (const a of accounts.filter((x) => x.password !== undefined)) {
    const flags = [...(a.phone ? ["--phone", a.phone] : []), ...(a.unverified ? ["--unverified"] : [])];
    jobs.push(runCli(["user", "add", "--username", a.username, "--email", emailOf(a), ...flags, "--password-stdin"], target.env, `${a.password}\n`));
  }
  const results = await Promise.all(jobs);
  for (const r of results) if (r.code !== 0) throw new Error(`creating accounts failed (${r.code}): ${r.stderr}`);
  return results;
}

/** Waits until the outbox has nothing due, so "nothing was sent" assertions mean something. */
export async function outboxSettled(app: TestApp, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  const probe = probes(() => app);
  for (;;) {
    const n = probe.outboxUndelivered();
    if (n === 0) return;
    if (Date.now() - start > timeoutMs) throw new Error(`outbox still has ${n} messages`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
