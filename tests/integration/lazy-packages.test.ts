import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/app";

/**
 * Issue 12, memory: packages that only some deployments use are loaded when they are used, not by
 * every process at start. The compiled server and the Remix build are imported the way
 * `npm start` loads them (importing build/server.js does not start it), and Node's module cache is
 * read afterwards. Measured: about 10 MiB less RSS at start on SQLite (docs/decisions/0023), and
 * 11 MiB less once zxcvbn's dictionaries waited for the first password (0025).
 */
const ONLY_WHEN_USED = {
  pg: "DATABASE_URL (PostgreSQL)",
  ioredis: "REDIS_URL",
  mailparser: "the development mailbox",
  "smtp-server": "the development mailbox",
  // zxcvbn's lists: about 10 MiB of heap imported, 12 MiB more once ranked (docs/decisions/0025).
  "@zxcvbn-ts/language-common": "the first password judged",
  "@zxcvbn-ts/language-en": "the first password judged",
  "@zxcvbn-ts/language-es-es": "the first password judged on a Spanish page",
};

function loadedPackages(): string[] {
  const script = `
    await import("./build/server.js");
    await import("./build/index.js");
    const { createRequire } = await import("node:module");
    const cache = createRequire(process.cwd() + "/").cache;
    process.stdout.write(JSON.stringify(Object.keys(cache)));
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (run.status !== 0) throw new Error(run.stderr);
  const files = JSON.parse(run.stdout) as string[];
  return [...new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => Boolean(p)))];
}

describe("packages loaded at start", () => {
  test("the server and the Remix build load none of the packages a SQLite production portal does not use", () => {
    const loaded = loadedPackages();
    // The check itself works: packages every portal needs are in the cache.
    expect(loaded).toEqual(expect.arrayContaining(["better-sqlite3", "express"]));
    for (const [pkg, when] of Object.entries(ONLY_WHEN_USED)) expect(loaded, `${pkg} is only for ${when}`).not.toContain(pkg);
  });
});
