import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/app";

/**
 * Issue 12, memory and start-up: packages that only some deployments or pages use are loaded when
 * they are used, not by every process at start. The compiled server, which embeds the Remix build,
 * is imported the way `npm start` loads it (importing build/server.js does not start it), and Node's
 * module cache is read afterwards, with every ES module a resolve hook saw. Measured: about 10 MiB less RSS at start
 * on SQLite (docs/decisions/0023), 11 MiB less once zxcvbn's dictionaries waited for the first
 * password (0025), and 0.4 s less start-up once the passkey library, the QR code and the help
 * centre's Markdown waited for their first page (0039).
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
  // About 0.3 s of start-up with the ASN.1 packages it imports (docs/decisions/0039).
  "@simplewebauthn/server": "the first passkey page",
  "@peculiar/asn1-schema": "the first passkey page",
  qrcode: "the first authenticator-app set-up",
  "gray-matter": "the first help centre page",
  "markdown-it": "the first help centre page",
};

function loadedPackages(): string[] {
  // CommonJS files stay in require's cache; ES modules are seen by a resolve hook, which runs on
  // the loader's own thread and reports each file it resolves over a message port.
  const hooks = `
    let port;
    export function initialize(data) { port = data.port; }
    export async function resolve(specifier, context, next) {
      const resolved = await next(specifier, context);
      port.postMessage(resolved.url);
      return resolved;
    }
  `;
  const script = `
    const { createRequire, register } = await import("node:module");
    const { MessageChannel } = await import("node:worker_threads");
    const esm = [];
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (url) => esm.push(url));
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
    await import("./build/server.js");
    // The hook's last messages are on their way.
    await new Promise((resolve) => setTimeout(resolve, 100));
    port1.close();
    const cache = createRequire(process.cwd() + "/").cache;
    process.stdout.write(JSON.stringify([...Object.keys(cache), ...esm]));
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (run.status !== 0) throw new Error(run.stderr);
  const files = JSON.parse(run.stdout) as string[];
  return [...new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => Boolean(p)))];
}

let atStart: string[] | undefined;
/** Both tests read the same start: one import of the server. */
const packagesAtStart = () => (atStart ??= loadedPackages());

describe("packages loaded at start", () => {
  test("the server loads none of the packages a SQLite production portal does not use", () => {
    const loaded = packagesAtStart();
    // The check itself works: the native packages, which stay out of the bundle, are in the cache
    // (everything else the server needs is inside build/server.js, docs/decisions/0039).
    expect(loaded).toEqual(expect.arrayContaining(["better-sqlite3", "@node-rs/argon2", "pino"]));
    for (const [pkg, when] of Object.entries(ONLY_WHEN_USED)) expect(loaded, `${pkg} is only for ${when}`).not.toContain(pkg);
  });

  test("the packages every request uses come from the server's bundle, not from node_modules", () => {
    const loaded = packagesAtStart();
    // Resolving and linking them one file at a time was 0.55 s of every start (docs/decisions/0039);
    // React and Remix in particular must be one copy, the bundle's, shared by the edge and the pages.
    for (const pkg of ["express", "kysely", "zod", "react", "react-dom", "@remix-run/server-runtime", "@remix-run/router", "prom-client", "libphonenumber-js"]) {
      expect(loaded, `${pkg} is bundled`).not.toContain(pkg);
    }
  });
});
