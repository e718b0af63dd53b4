/**
 * Caches Remix's server-side route table (docs/decisions/0013-remix-route-matching-cache.md).
 *
 * @remix-run/router's matchRoutesImpl flattens and ranks the whole route tree on every call, and a
 * Remix request calls it two or more times. The server's route arrays are built once per build and
 * never changed, so this patch keeps the flattened, ranked branches in a module-level WeakMap keyed
 * by the routes array. It edits only dist/router.cjs.js, the CommonJS file the server loads through
 * @remix-run/server-runtime; the browser bundle uses dist/router.js, which is left alone. The
 * router's own in-place route patching (patchRoutesImpl, lazy route discovery) clears the cache.
 * A second patch memoizes compilePath (a route pattern's RegExp and parameter list), a pure
 * function that matchPath called for every branch on every match; the memo holds at most
 * COMPILED_PATHS_CAP patterns. A third remembers, per ranked table, which branch a static URL
 * (one whose match has no parameters) matched, so the next request for it tests that branch only.
 *
 * Runs from `postinstall`; idempotent (a marker comment per patch says it is in; a file with only
 * the first patch gets the second). If the router is another version and a patch is not in, it
 * exits non-zero so that an upgrade cannot lose it.
 *
 * Usage: node scripts/patch-remix-router.mjs [router package folder]
 * (by default the @remix-run/router that @remix-run/server-runtime resolves)
 * Importing it (tests do) runs nothing; it exports PATCHES.
 */
import console from "node:console";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const EXPECTED_VERSION = "1.23.3";
const MARKER = "recovery-portal patch: route branches cached per routes array";
const MEMO_MARKER = "recovery-portal patch: compiled route patterns memoized";
const REMEMBER_MARKER = "recovery-portal patch: matching branch remembered per static URL";
/** How many distinct pattern paths the compilePath memo holds (each with up to 4 flag combinations). */
export const COMPILED_PATHS_CAP = 1000;
/** How many URLs per ranked branch table the matching-branch memory holds. */
export const REMEMBERED_URLS_CAP = 1000;

/** Each edit: the exact pristine text, found exactly once, and what replaces it. */
const BRANCH_CACHE_EDITS = [
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

const COMPILE_PATH_MEMO_EDITS = [
  {
    what: "the memo in front of compilePath",
    find: "function compilePath(path, caseSensitive, end) {\n  if (caseSensitive === void 0) {\n",
    replace:
      `// ${MEMO_MARKER} (scripts/patch-remix-router.mjs).\n` +
      "// compilePath's result depends only on its three arguments (path, caseSensitive, end). Its one\n" +
      "// caller, matchPath, passes a route PATTERN (matchRouteBranch: the route table's relativePath;\n" +
      "// the exported matchPath: the caller's pattern), never a request path, and only reads the result:\n" +
      "// the RegExp has no g or y flag (so no lastIndex state) and the params list is frozen. Patterns\n" +
      `// are bounded by the route tables, but matchPath is public, so the memo keeps at most ${COMPILED_PATHS_CAP}\n` +
      "// paths, dropping the oldest. A path ending in `*` without `/` now warns once per memo entry.\n" +
      "const compiledPathsMemo = new Map();\n" +
      "function compilePath(path, caseSensitive, end) {\n" +
      "  if (typeof path !== \"string\") return compilePathUncached(path, caseSensitive, end);\n" +
      "  let slot = (caseSensitive ? 2 : 0) + (end === void 0 || end ? 1 : 0);\n" +
      "  let compiled = compiledPathsMemo.get(path);\n" +
      "  if (compiled === undefined) {\n" +
      `    if (compiledPathsMemo.size >= ${COMPILED_PATHS_CAP}) compiledPathsMemo.delete(compiledPathsMemo.keys().next().value);\n` +
      "    compiled = [undefined, undefined, undefined, undefined];\n" +
      "    compiledPathsMemo.set(path, compiled);\n" +
      "  }\n" +
      "  let result = compiled[slot];\n" +
      "  if (result === undefined) {\n" +
      "    let [matcher, params] = compilePathUncached(path, caseSensitive, end);\n" +
      "    result = Object.freeze([matcher, Object.freeze(params.map((param) => Object.freeze(param)))]);\n" +
      "    compiled[slot] = result;\n" +
      "  }\n" +
      "  return result;\n" +
      "}\n" +
      "function compilePathUncached(path, caseSensitive, end) {\n  if (caseSensitive === void 0) {\n",
  },
];

const REMEMBER_BRANCH_EDITS = [
  {
    what: "the remembered branch tried first in matchRoutesImpl",
    find: "  let decoded = decodePath(pathname);\n  for (let i = 0; matches == null && i < branches.length; ++i) {\n",
    replace:
      "  let decoded = decodePath(pathname);\n" +
      `  // ${REMEMBER_MARKER} (scripts/patch-remix-router.mjs).\n` +
      "  // The first matching branch depends only on the ranked branches, the decoded URL and allowPartial,\n" +
      "  // so a URL seen before is matched by testing that one branch instead of every branch before it.\n" +
      "  let remembered = rememberedBranches.get(branches);\n" +
      "  let rememberedKey = (allowPartial ? \"partial:\" : \"full:\") + decoded;\n" +
      "  let rememberedIndex = remembered === undefined ? undefined : remembered.get(rememberedKey);\n" +
      "  if (rememberedIndex !== undefined) {\n" +
      "    matches = matchRouteBranch(branches[rememberedIndex], decoded, allowPartial);\n" +
      "    if (matches != null) return matches;\n" +
      "  }\n" +
      "  let i = 0;\n" +
      "  for (; matches == null && i < branches.length; ++i) {\n",
  },
  {
    what: "the branch remembered after the scan in matchRoutesImpl",
    find: "    matches = matchRouteBranch(branches[i], decoded, allowPartial);\n  }\n  return matches;\n}\nfunction convertRouteMatchToUiMatch(",
    replace:
      "    matches = matchRouteBranch(branches[i], decoded, allowPartial);\n" +
      "  }\n" +
      `  // ${REMEMBER_MARKER}: only a match without parameters (a static URL), so no token or id ends up\n` +
      `  // as a key; at most ${REMEMBERED_URLS_CAP} URLs per table (case variants are distinct URLs), oldest dropped.\n` +
      "  if (matches != null && matches.every((m) => Object.keys(m.params).length === 0)) {\n" +
      "    if (remembered === undefined) {\n" +
      "      remembered = new Map();\n" +
      "      rememberedBranches.set(branches, remembered);\n" +
      "    }\n" +
      `    if (remembered.size >= ${REMEMBERED_URLS_CAP}) remembered.delete(remembered.keys().next().value);\n` +
      "    remembered.set(rememberedKey, i - 1);\n" +
      "  }\n" +
      "  return matches;\n" +
      "}\n" +
      `// ${REMEMBER_MARKER}: keyed by the ranked branch table, which patchRoutesImpl replaces.\n` +
      "const rememberedBranches = new WeakMap();\n" +
      "function convertRouteMatchToUiMatch(",
  },
];

/** Each patch is applied unless its marker is already in the file. */
export const PATCHES = [
  { marker: MARKER, what: "route-matching cache", edits: BRANCH_CACHE_EDITS },
  { marker: MEMO_MARKER, what: "compilePath memo", edits: COMPILE_PATH_MEMO_EDITS },
  { marker: REMEMBER_MARKER, what: "matching-branch memory", edits: REMEMBER_BRANCH_EDITS },
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

function main() {
  const dir = routerPackageDir();
  const file = path.join(dir, "dist", "router.cjs.js");
  const shown = path.relative(process.cwd(), file) || file;
  const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  const source = fs.readFileSync(file, "utf8");

  const pending = PATCHES.filter((patch) => !source.includes(patch.marker));
  if (pending.length === 0) {
    console.log(`patch-remix-router: already applied to ${shown}`);
    return;
  }

  const missing = pending.map((patch) => patch.what).join(" and ");
  const unexpected = `${shown} is @remix-run/router ${version} without the ${missing} patch, which expects @remix-run/router ${EXPECTED_VERSION}; port scripts/patch-remix-router.mjs (docs/decisions/0013) or remove it`;
  if (version !== EXPECTED_VERSION) fail(unexpected);

  // every edit is checked before anything is written
  let patched = source;
  for (const edit of pending.flatMap((patch) => patch.edits)) {
    const at = patched.indexOf(edit.find);
    if (at < 0 || patched.indexOf(edit.find, at + 1) >= 0) fail(`${unexpected} (source text not found: ${edit.what})`);
    patched = patched.slice(0, at) + edit.replace + patched.slice(at + edit.find.length);
  }

  const temporary = `${file}.patching-${process.pid}`;
  fs.writeFileSync(temporary, patched);
  fs.renameSync(temporary, file);
  console.log(`patch-remix-router: patched ${shown} (@remix-run/router ${version}: ${missing})`);
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
