import { execFile, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./ports";

/**
 * Throwaway PostgreSQL clusters for tests and the bench: `initdb` + `pg_ctl` in a temporary folder
 * (never the system cluster), trust authentication for the user `portal`, listening on 127.0.0.1
 * only, durability switched off (a test cluster dies with its run). As root the binaries run as
 * the `postgres` user (initdb refuses root); otherwise directly.
 *
 * The integration-pg project starts ONE cluster per run (tests/helpers/pg-global-setup.ts) and
 * each portal gets a fresh database on it (`testDatabaseUrl`).
 */

export type PostgresCluster = {
  /** postgres://portal@127.0.0.1:PORT/postgres (the maintenance database). */
  adminUrl: string;
  port: number;
  dir: string;
  /** Creates an empty database (a fresh name unless given) and returns its URL. */
  createDatabase: (name?: string) => Promise<string>;
  stop: () => Promise<void>;
};

/** The newest /usr/lib/postgresql/<version>/bin holding initdb (PG_BIN overrides). */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql");
  return path.join(root, versions[0]!, "bin");
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The command line that runs a PostgreSQL binary, as the `postgres` user when we are root. */
function commandFor(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["su", ["postgres", "-s", "/bin/bash", "-c", [bin, ...args].map(quote).join(" ")]] : [bin, args];
}

function run(bin: string, args: string[]): Promise<string> {
  const [file, argv] = commandFor(bin, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(bin)} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

export function databaseUrl(port: number, name: string): string {
  return `postgres://portal@127.0.0.1:${port}/${name}`;
}

/** Creates a database on a running cluster, through its maintenance database. */
export async function createDatabase(adminUrl: string, name = `t_${crypto.randomBytes(6).toString("hex")}`): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A consistent copy of a database (pg_dump's snapshot, safe while the portal writes to it) into a
 * new database on the same cluster; returns the copy's URL.
 */
export async function copyDatabase(sourceUrl: string, name?: string): Promise<string> {
  const admin = new URL(sourceUrl);
  admin.pathname = "/postgres";
  const target = await createDatabase(admin.toString(), name);
  const bin = postgresBin();
  const dump = await new Promise<Buffer>((resolve, reject) =>
    execFile(path.join(bin, "pg_dump"), ["--no-owner", "--no-privileges", "-d", sourceUrl], { encoding: "buffer", maxBuffer: 1 << 30 }, (e, out, err) =>
      e ? reject(new Error(`pg_dump failed: ${e.message}\n${String(err)}`)) : resolve(out),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    const child = execFile(path.join(bin, "psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target], { maxBuffer: 1 << 26 }, (e, _out, err) =>
      e ? reject(new Error(`psql failed: ${e.message}\n${err}`)) : resolve(),
    );
    child.stdin!.end(dump);
  });
  return target;
}

export async function startPostgres(options: { maxConnections?: number } = {}): Promise<PostgresCluster> {
  const bin = postgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-pg-"));
  if (process.getuid?.() === 0) {
    // mkdtemp makes it 0700 root: the postgres user must own it.
    fs.chmodSync(dir, 0o700);
    await new Promise<void>((resolve, reject) => execFile("chown", ["postgres:postgres", dir], (e) => (e ? reject(e) : resolve())));
  }
  const data = path.join(dir, "data");
  await run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "portal", "-E", "UTF8", "--no-sync"]);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses=127.0.0.1",
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      `-c max_connections=${options.maxConnections ?? 300}`,
    ].join(" ");
    try {
      await run(path.join(bin, "pg_ctl"), ["-D", data, "-o", settings, "-l", path.join(dir, "log"), "-w", "start"]);
      break;
    } catch (error) {
      // Another process took the free port between the check and the start: try another.
      if (attempt >= 2) throw new Error(`${String(error)}\n${fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : ""}`);
    }
  }
  const adminUrl = databaseUrl(port, "postgres");
  const stopArgs = ["-D", data, "-m", "fast", "-w", "stop"];
  let stopped = false;
  // A process that ends without stop() (a crash, Ctrl-C) still takes its cluster down.
  const onExit = () => {
    if (stopped) return;
    stopped = true;
    try {
      const [file, argv] = commandFor(path.join(bin, "pg_ctl"), stopArgs);
      execFileSync(file, argv, { stdio: "ignore", timeout: 30_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort while exiting
    }
  };
  process.once("exit", onExit);
  return {
    adminUrl,
    port,
    dir,
    createDatabase: (name) => createDatabase(adminUrl, name),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.off("exit", onExit);
      await run(path.join(bin, "pg_ctl"), stopArgs).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The engine the tests run on: TEST_ENGINE=postgres (the integration-pg project) or SQLite. */
export const testEngine = (): "postgres" | "sqlite" => (process.env.TEST_ENGINE === "postgres" ? "postgres" : "sqlite");

/**
 * The cluster of this test run: the admin URL the global setup handed to the workers
 * (PG_TEST_ADMIN_URL). Outside such a run (a script setting TEST_ENGINE=postgres by hand), one
 * cluster is started for this process and stopped when it exits.
 */
let ownCluster: Promise<PostgresCluster> | undefined;
export async function testClusterUrl(): Promise<string> {
  const handed = process.env.PG_TEST_ADMIN_URL;
  if (handed) return handed;
  ownCluster ??= startPostgres();
  return (await ownCluster).adminUrl;
}

/** A fresh, empty database for one portal of this test run. */
export async function testDatabaseUrl(): Promise<string> {
  return createDatabase(await testClusterUrl());
}
