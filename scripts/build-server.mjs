/**
 * Compiles the HTTP edge (server.ts), the operator CLI (app/cli/main.ts) and the e-mail thread's entry
 * (app/delivery/email-thread.worker.ts, loaded by the server next to itself) to plain JavaScript in
 * build/, so that production starts with `node build/server.js` instead of compiling TypeScript at
 * start-up with tsx. App code is bundled; packages in node_modules stay external and load as usual.
 * The Remix app itself is compiled separately by `remix build` (build/index.js), which the server
 * imports at run time.
 */
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

await build({
  absWorkingDir: root,
  entryPoints: { server: "server.ts", cli: "app/cli/main.ts", "email-thread.worker": "app/delivery/email-thread.worker.ts" },
  outdir: "build",
  bundle: true,
  plugins: [packagesExternal],
  platform: "node",
  format: "esm",
  target: "node20",
  tsconfig: "tsconfig.json",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
});
