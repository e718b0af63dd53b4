/**
 * Patches to Remix's server-side CommonJS files, applied from `postinstall`.
 *
 * @remix-run/router (docs/decisions/0013-remix-route-matching-cache.md): matchRoutesImpl flattens
 * and ranks the whole route tree on every call, and a Remix request calls it two or more times.
 * The server's route arrays are built once per build and never changed, so this patch keeps the
 * flattened, ranked branches in a module-level WeakMap keyed by the routes array. It edits only
 * dist/router.cjs.js, the CommonJS file the server loads through @remix-run/server-runtime; the
 * browser bundle uses dist/router.js, which is left alone. The router's own in-place route patching
 * (patchRoutesImpl, lazy route discovery) clears the cache. A second patch memoizes compilePath (a
 * route pattern's RegExp and parameter list), a pure function that matchPath called for every
 * branch on every match; the memo holds at most COMPILED_PATHS_CAP patterns. A third remembers, per
 * ranked table, which branch a static URL (one whose match has no parameters) matched, so the next
 * request for it tests that branch only.
 *
 * @remix-run/server-runtime (docs/decisions/0028-one-request-object.md): before every loader and
 * action, dist/data.js strips Remix's own search parameters (`index`, then `_data` or `_routes`) by
 * building a new Request with the old one's body stream, headers and signal, twice, whether or not
 * the URL has them. The patch passes the request on as it is when its URL has no query string: the
 * new one would have had the same URL, method, headers, body and signal.
 *
 * Runs from `postinstall`; idempotent (a marker comment per patch says it is in; a file with only
 * some of a package's patches gets the others). If a package is another version and a patch is not
 * in, it exits non-zero so that an upgrade cannot lose it.
 *
 * Usage: node scripts/patch-remix-router.mjs [router package folder [server-runtime package folder]]
 * (by default the packages the server loads: the @remix-run/server-runtime that @remix-run/node
 * resolves, and the @remix-run/router that it resolves; with folders, only those packages).
 * Importing it (tests do) runs nothing; it exports PATCHES and SERVER_RUNTIME_PATCHES.
 */
import console from "node:console";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROUTER_VERSION = "1.23.3";
const SERVER_RUNTIME_VERSION = "2.17.5";
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

const SAME_REQUEST_MARKER = "recovery-portal patch: a request without a query string is passed on as is";

/**
 * stripIndexParam, stripDataParam, stripRoutesParam: return early when the URL has no query string.
 * Not "when the parameter is absent": deleting even an absent parameter re-serializes the query
 * (`a=b,c` becomes `a=b%2Cc`, a bare `?` goes), and a loader reading request.url would see that.
 */
const SAME_REQUEST_EDITS = [
  ["stripIndexParam", "index"],
  ["stripDataParam", "_data"],
  ["stripRoutesParam", "_routes"],
].map(([name, parameter]) => ({
  what: `the early return in ${name}`,
  find: `function ${name}(request) {\n  let url = new URL(request.url);\n`,
  replace:
    `function ${name}(request) {\n` +
    `  // ${SAME_REQUEST_MARKER} (scripts/patch-remix-router.mjs):\n` +
    `  // no query string, so no "${parameter}": the new Request would have had this one's URL, method, headers, body and signal.\n` +
    `  if (!request.url.includes("?")) return request;\n` +
    `  let url = new URL(request.url);\n`,
}));

/** Each patch is applied unless its marker is already in the file. */
export const PATCHES = [
  { marker: MARKER, what: "route-matching cache", edits: BRANCH_CACHE_EDITS },
  { marker: MEMO_MARKER, what: "compilePath memo", edits: COMPILE_PATH_MEMO_EDITS },
  { marker: REMEMBER_MARKER, what: "matching-branch memory", edits: REMEMBER_BRANCH_EDITS },
];

export const SERVER_RUNTIME_PATCHES = [{ marker: SAME_REQUEST_MARKER, what: "same-request pass-through", edits: SAME_REQUEST_EDITS }];

const require = createRequire(import.meta.url);
const serverRuntimeDir = () => path.dirname(createRequire(require.resolve("@remix-run/node/package.json")).resolve("@remix-run/server-runtime/package.json"));

/** The packages, in the order of the command's folder arguments. */
const TARGETS = [
  {
    name: "@remix-run/router",
    version: ROUTER_VERSION,
    file: path.join("dist", "router.cjs.js"),
    decision: "docs/decisions/0013",
    patches: PATCHES,
    defaultDir: () => path.dirname(createRequire(path.join(serverRuntimeDir(), "package.json")).resolve("@remix-run/router/package.json")),
  },
  {
    name: "@remix-run/server-runtime",
    version: SERVER_RUNTIME_VERSION,
    file: path.join("dist", "data.js"),
    decision: "docs/decisions/0028",
    patches: SERVER_RUNTIME_PATCHES,
    defaultDir: serverRuntimeDir,
  },
];

function fail(message) {
  console.error(`patch-remix-router: ${message}`);
  process.exit(1);
}

function patchPackage(target, dir) {
  const file = path.join(dir, target.file);
  const shown = path.relative(process.cwd(), file) || file;
  const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  const source = fs.readFileSync(file, "utf8");

  const pending = target.patches.filter((patch) => !source.includes(patch.marker));
  if (pending.length === 0) {
    console.log(`patch-remix-router: already applied to ${shown}`);
    return;
  }

  const missing = pending.map((patch) => patch.what).join(" and ");
  const unexpected = `${shown} is ${target.name} ${version} without the ${missing} patch, which expects ${target.name} ${target.version}; port scripts/patch-remix-router.mjs (${target.decision}) or remove it`;
  if (version !== target.version) fail(unexpected);

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
  console.log(`patch-remix-router: patched ${shown} (${target.name} ${version}: ${missing})`);
}

function main() {
  const folders = process.argv.slice(2);
  const targets = folders.length > 0 ? TARGETS.slice(0, folders.length) : TARGETS;
  targets.forEach((target, i) => patchPackage(target, folders[i] ? path.resolve(folders[i]) : target.defaultDir()));
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
