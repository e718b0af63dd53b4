import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { freePort } from "./app";

/**
 * A throwaway redis-server (Debian's) on a loopback port, without persistence, for tests that put
 * the limits in Redis. `kill()` stops it hard (to test an outage); `stop()` at the end.
 */
export type RedisServer = { port: number; url: string; kill: () => Promise<void>; stop: () => Promise<void> };

export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";

export async function startRedis(port?: number): Promise<RedisServer> {
  if (!fs.existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is not installed`);
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn(REDIS_SERVER, ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not get ready: ${output.slice(-300)}`)), 10_000);
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-300)}`));
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  };
  return { port: p, url: `redis://127.0.0.1:${p}`, kill: () => end("SIGKILL"), stop: () => end("SIGTERM") };
}
