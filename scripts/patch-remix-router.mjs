/**
 * Caches Remix's server-side route table (docs/decisions/0013-remix-route-matching-cache.md).
 *
 * @remix-run/router's matchRoutesImpl flattens and ranks the whole route tree on every call, and a
 * Remix request calls it two or more times. The server's route arrays are built once per build and
 * never changed, so this patch keeps the flattened, ranked branches in a module-level WeakMap keyed
 * by the routes array. It edits only dist/router.cjs.js, the CommonJS file the server loads through
 * @remix-run/server-runtime; the browser bundle uses dist/router.js, which is left alone. The
 * router's own in-place route patching (patchRoutesImpl, lazy route discovery) clears the cache.
 *
 * Runs from `postinstall`; idempotent (a marker comment says the patch is in). If the router is
 * another version and the patch is not in, it exits non-zero so that an upgrade cannot lose it.
 *
 * Usage: node scripts/patch-remix-router.mjs [router package folder]
 * (by default the @remix-run/router that @remix-run/server-runtime resolves)
 */
import console from "node:console";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";

const EXPECTED_VERSION = "1.23.3";
const MARKER = "recovery-portal patch: route branches cached per routes array";

/** Each edit: the exact pristine text, found exactly once, and what replaces it. */
const EDITS = [
  {
    what: "the cache, declared before matchRoutesImpl",
    find: "function matchRoutesImpl(routes, locationArg, basename, allowPartial) {\n",
    replace:
      `// ${MARKER} (scripts/patch-remix-router.mjs).\n` +
      "// Routes must not be changed in place after their first match, except through patchRoutesImpl.\n" +
      "let rankedBranchesCache = new WeakMap();\n" +
      "function matchRoutesImpl(routes, locationArg, basename, allowPartial) {\n",
  },
  {
    what: "the lookup in matchRoutesImpl",
    find: "  let branches = flattenRoutes(routes);\n  rankRouteBranches(branches);\n  let matches = null;\n",
    replace:
      `  // ${MARKER}\n` +
      "  let branches = rankedBranchesCache.get(routes);\n" +
      "  if (branches === undefined) {\n" +
      "    branches = flattenRoutes(routes);\n" +
      "    rankRouteBranches(branches);\n" +
      "    rankedBranchesCache.set(routes, branches);\n" +
      "  }\n" +
      "  let matches = null;\n",
  },
  {
    what: "the cache reset in patchRoutesImpl",
    find: "  childrenToPatch.push(...newRoutes);\n}\nfunction isSameRoute(",
    replace:
      `  // ${MARKER}: the tree changes in place here.\n` +
      "  rankedBranchesCache = new WeakMap();\n" +
      "  childrenToPatch.push(...newRoutes);\n}\nfunction isSameRoute(",
  },
];

function fail(message) {
  console.error(`patch-remix-router: ${message}`);
  process.exit(1);
}

function routerPackageDir() {
  if (process.argv[2]) return path.resolve(process.argv[2]);
  const require = createRequire(import.meta.url);
  const serverRuntime = require.resolve("@remix-run/server-runtime/package.json");
  return path.dirname(createRequire(serverRuntime).resolve("@remix-run/router/package.json"));
}

const dir = routerPackageDir();
const file = path.join(dir, "dist", "router.cjs.js");
const shown = path.relative(process.cwd(), file) || file;
const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
const source = fs.readFileSync(file, "utf8");

if (source.includes(MARKER)) {
  console.log(`patch-remix-router: already applied to ${shown}`);
  process.exit(0);
}

const unexpected = `${shown} is @remix-run/router ${version} without the route-matching cache patch, which expects @remix-run/router ${EXPECTED_VERSION}; port scripts/patch-remix-router.mjs (docs/decisions/0013) or remove it`;
if (version !== EXPECTED_VERSION) fail(unexpected);

let patched = source;
for (const edit of EDITS) {
  const at = patched.indexOf(edit.find);
  if (at < 0 || patched.indexOf(edit.find, at + 1) >= 0) fail(`${unexpected} (source text not found: ${edit.what})`);
  patched = patched.slice(0, at) + edit.replace + patched.slice(at + edit.find.length);
}

const temporary = `${file}.patching-${process.pid}`;
fs.writeFileSync(temporary, patched);
fs.renameSync(temporary, file);
console.log(`patch-remix-router: patched ${shown} (@remix-run/router ${version})`);
