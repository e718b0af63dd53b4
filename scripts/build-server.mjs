/**
 * Compiles the HTTP edge (server.ts), the operator CLI (app/cli/main.ts) and the e-mail thread's entry
 * (app/delivery/email-thread.worker.ts, loaded by the server next to itself) to plain JavaScript in
 * build/, so that production starts with `node build/server.js` instead of compiling TypeScript at
 * start-up with tsx. The Remix app itself is compiled separately by `remix build` (build/index.js),
 * which the server imports at run time.
 *
 * The server keeps packages in node_modules external: it shares them with build/index.js, and two
 * copies of a package (React, Remix) in one process would not be one package. The CLI and the
 * e-mail thread share nothing with the Remix build, so their packages are bundled in too: resolving
 * and reading about a thousand package files was half of every CLI command's start-up (0.45 s ->
 * 0.26 s) and a large part of the thread's (docs/decisions/0024).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Every bare import is a package (or a node: built-in) and stays external; "~/" is app code. */
const packagesExternal = {
  name: "packages-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("~/") ? undefined : { path: args.path, external: true }));
  },
};

const common = {
  absWorkingDir: root,
  outdir: "build",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  tsconfig: "tsconfig.json",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
};

await build({ ...common, entryPoints: { server: "server.ts" }, plugins: [packagesExternal] });

/**
 * What stays external even in the self-contained bundles: native addons (a .node file is loaded
 * from its package), packages that start threads from their own files (pino's transports), and the
 * ones loaded only on demand (PostgreSQL, Redis, the development mailbox), which stay out of memory
 * unless used.
 */
const ALWAYS_EXTERNAL = new Set([
  ...["better-sqlite3", "@node-rs/argon2", "pino", "thread-stream", "pg", "pg-native", "ioredis", "smtp-server", "mailparser"],
  // zxcvbn's dictionaries, for the commands that set a password (docs/decisions/0025).
  ...["@zxcvbn-ts/language-common", "@zxcvbn-ts/language-en", "@zxcvbn-ts/language-es-es"],
]);
const packageName = (p) => (p.startsWith("@") ? p.split("/").slice(0, 2).join("/") : p.split("/")[0]);
const nativesExternal = {
  name: "natives-external",
  setup(b) {
    b.onResolve({ filter: /^[^./~]/ }, (args) => (args.path.startsWith("node:") || ALWAYS_EXTERNAL.has(packageName(args.path)) ? { path: args.path, external: true } : undefined));
  },
};

await build({
  ...common,
  entryPoints: { cli: "app/cli/main.ts", "email-thread.worker": "app/delivery/email-thread.worker.ts" },
  plugins: [nativesExternal],
  // Bundled CommonJS packages still call require(); an ES module has none of its own.
  banner: { js: 'import { createRequire as __portalCreateRequire } from "node:module"; const require = __portalCreateRequire(import.meta.url);' },
  // zod-openapi marks itself side-effect free; the bare import only adds its types.
  logOverride: { "ignored-bare-import": "silent" },
});

/**
 * V8 keeps a script's source in memory, one byte per character unless any character is beyond
 * Latin-1: then two. esbuild escapes such characters in strings and regular expressions but
 * leaves comments alone, so one dash in a comment doubled build/index.js in every process's heap
 * (0.97 MB of source held as 1.9 MB). Whatever is left (comments only) is escaped here too.
 */
for (const file of ["index.js", "server.js", "cli.js", "email-thread.worker.js"]) {
  const full = path.join(root, "build", file);
  const text = fs.readFileSync(full, "utf8");
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(text)) fs.writeFileSync(full, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}
