/**
 * Compiles the HTTP edge (server.ts), the operator CLI (app/cli/main.ts) and the e-mail thread's entry
 * (app/delivery/email-thread.worker.ts, loaded by the server next to itself) to plain JavaScript in
 * build/, so that production starts with `node build/server.js` instead of compiling TypeScript at
 * start-up with tsx. The Remix app itself is compiled first by `remix build` (build/index.js).
 *
 * Each of the three is one self-contained bundle with its packages in it: resolving, reading and
 * linking about a thousand package files was half of every CLI command's start-up (0.45 s -> 0.26 s,
 * docs/decisions/0024) and, for the server, 0.55 of its 1.15 s of imports (0039). The server's
 * bundle also embeds build/index.js, so the Remix build and the edge share one copy of every package
 * (React, Remix), as they did when both imported them from node_modules.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

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
/**
 * Packages the server loads on first use (docs/decisions/0039): they stay out of its bundle, so a
 * start-up neither reads nor compiles them. The CLI and the e-mail thread bundle them if they use them.
 */
const SERVER_ON_FIRST_USE = new Set(["@simplewebauthn/server", "qrcode", "gray-matter", "markdown-it"]);
const packageName = (p) => (p.startsWith("@") ? p.split("/").slice(0, 2).join("/") : p.split("/")[0]);
const externals = (names) => ({
  name: "externals",
  setup(b) {
    b.onResolve({ filter: /^[^./~]/ }, (args) => (args.path.startsWith("node:") || names.has(packageName(args.path)) ? { path: args.path, external: true } : undefined));
  },
});

/** The server's `loadRemixBuild` (app/http/remix-build.server.ts), with build/index.js imported statically into the bundle. */
const remixBuildEmbedded = {
  name: "remix-build-embedded",
  setup(b) {
    b.onLoad({ filter: /[\\/]app[\\/]http[\\/]remix-build\.server\.ts$/ }, () => ({
      contents: `import * as build from ${JSON.stringify(path.join(root, "build/index.js"))};\nexport async function loadRemixBuild() { return build; }\n`,
      loader: "js",
      resolveDir: root,
    }));
  },
};

const bundled = {
  ...common,
  // Bundled CommonJS packages still call require(); an ES module has none of its own.
  banner: { js: 'import { createRequire as __portalCreateRequire } from "node:module"; const require = __portalCreateRequire(import.meta.url);' },
  // zod-openapi marks itself side-effect free; the bare import only adds its types.
  logOverride: { "ignored-bare-import": "silent" },
};

await build({ ...bundled, entryPoints: { server: "server.ts" }, plugins: [remixBuildEmbedded, externals(new Set([...ALWAYS_EXTERNAL, ...SERVER_ON_FIRST_USE]))] });
await build({ ...bundled, entryPoints: { cli: "app/cli/main.ts", "email-thread.worker": "app/delivery/email-thread.worker.ts" }, plugins: [externals(ALWAYS_EXTERNAL)] });

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
