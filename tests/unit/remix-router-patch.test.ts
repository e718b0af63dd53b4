import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { COMPILED_PATHS_CAP, PATCHES, REMEMBERED_URLS_CAP, SERVER_RUNTIME_PATCHES } from "../../scripts/patch-remix-router.mjs";

// The route-matching cache and the compilePath memo patched into @remix-run/router's CommonJS build
// by scripts/patch-remix-router.mjs (postinstall; docs/decisions/0013).

interface RouteObject {
  id?: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: RouteObject[];
}
interface RouteMatch {
  params: Record<string, string | undefined>;
  pathname: string;
  pathnameBase: string;
  route: RouteObject;
}
interface ManifestRoute {
  id: string;
  parentId?: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  module: Record<string, never>;
}
interface Router {
  routes: RouteObject[];
  patchRoutes(routeId: string | null, children: RouteObject[]): void;
  dispose(): void;
}
interface PathPattern {
  path: string;
  caseSensitive?: boolean;
  end?: boolean;
}
interface RouterModule {
  matchRoutes(routes: RouteObject[], location: string, basename?: string): RouteMatch[] | null;
  matchPath(pattern: PathPattern | string, pathname: string): { params: Record<string, string | undefined>; pathname: string; pathnameBase: string } | null;
  createRouter(init: { routes: RouteObject[]; history: unknown }): Router;
  createMemoryHistory(): unknown;
}

const root = path.resolve(import.meta.dirname, "../..");
const script = path.join(root, "scripts/patch-remix-router.mjs");
const requireCjs = createRequire(import.meta.url);
const routerFile = requireCjs.resolve("@remix-run/router");
const router = requireCjs("@remix-run/router") as RouterModule;
const MARKER = "recovery-portal patch: route branches cached per routes array";
const MEMO_MARKER = "recovery-portal patch: compiled route patterns memoized";
const REMEMBER_MARKER = "recovery-portal patch: matching branch remembered per static URL";

/** What the server compares: which routes matched, with which pathnames and params. */
function summary(matches: RouteMatch[] | null) {
  return matches?.map((m) => ({ id: m.route.id, pathname: m.pathname, pathnameBase: m.pathnameBase, params: m.params })) ?? null;
}

/** The installed file with the script's edits undone (each replacement found exactly once): the file as published. */
function unpatchedSource(patches = PATCHES, file = routerFile): string {
  let source = fs.readFileSync(file, "utf8");
  for (const edit of patches.flatMap((patch) => patch.edits).reverse()) {
    const at = source.indexOf(edit.replace);
    if (at < 0 || source.indexOf(edit.replace, at + 1) >= 0) throw new Error(`patched text not found once: ${edit.what}`);
    source = source.slice(0, at) + edit.find + source.slice(at + edit.replace.length);
  }
  return source;
}
let pristineModule: RouterModule | undefined;
/** Loads an unpatched source as a CommonJS module from a temporary copy. */
function loadPristine<T>(source: string, name: string): T {
  expect(source).not.toContain("recovery-portal patch");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pristine-"));
  try {
    fs.writeFileSync(path.join(dir, name), source);
    return requireCjs(path.join(dir, name)) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
/** The unpatched router, loaded from a temporary copy (no cache, no memo). */
function pristine(): RouterModule {
  pristineModule ??= loadPristine<RouterModule>(unpatchedSource(), "router.cjs.js");
  return pristineModule;
}

/** The same call on a fresh copy of the array, through the unpatched file: the unpatched algorithm. */
function reference(routes: RouteObject[], pathname: string) {
  return summary(pristine().matchRoutes([...routes], pathname));
}

/** The route manifest `remix build` makes from app/routes (same conventions and ignore list). */
function appManifest(): Record<string, ManifestRoute> {
  const { flatRoutes } = requireCjs("@remix-run/dev/dist/config/flat-routes.js") as {
    flatRoutes(appDirectory: string, ignored: string[]): Record<string, Omit<ManifestRoute, "module">>;
  };
  const routes = flatRoutes(path.join(root, "app"), ["**/.*", "**/*.test.*"]);
  const manifest: Record<string, ManifestRoute> = { root: { id: "root", path: "", module: {} } };
  for (const r of Object.values(routes)) {
    manifest[r.id] = { id: r.id, parentId: r.parentId, path: r.path, index: r.index, caseSensitive: r.caseSensitive, module: {} };
  }
  return manifest;
}

/** Every route's URL with its params filled, plus near misses around it. */
function pathsOf(manifest: Record<string, ManifestRoute>): string[] {
  const fullPath = (r: ManifestRoute): string => {
    const parent = r.parentId ? fullPath(manifest[r.parentId]) : "";
    return r.path ? `${parent}/${r.path}` : parent;
  };
  const paths = new Set<string>(["/", "/nope", "/reset/", "/RESET/abc", "/reset/a%20b", "/reset/abc/extra", "//", "/account/x/y"]);
  for (const r of Object.values(manifest)) {
    const p = fullPath(r).replace(/:[A-Za-z]+/g, "tok_123") || "/";
    paths.add(p);
    paths.add(`${p}/`);
    paths.add(p.toUpperCase());
    paths.add(`${p}/extra`);
  }
  return [...paths];
}

const handMade: RouteObject[] = [
  {
    id: "root",
    path: "",
    children: [
      { id: "home", index: true },
      {
        id: "reset",
        path: "reset",
        children: [
          { id: "reset-index", index: true },
          { id: "reset-token", path: ":token" },
          { id: "reset-done", path: "done" },
        ],
      },
      {
        id: "layout",
        children: [
          { id: "help", path: "help/:topic?" },
          { id: "about", path: ":lang?/about" },
        ],
      },
      { id: "files", path: "files/*" },
      { id: "exact", path: "Exact", caseSensitive: true },
      { id: "support-ticket", path: "support/tickets/:id" },
      { id: "catch-all", path: "*" },
    ],
  },
];
const createRoutesModule = requireCjs("@remix-run/server-runtime/dist/routes.js") as {
  createRoutes(manifest: Record<string, ManifestRoute>): RouteObject[];
  createStaticHandlerDataRoutes(manifest: Record<string, ManifestRoute>, future: Record<string, boolean>): RouteObject[];
};
const handMadePaths = ["/", "/reset", "/reset/", "/reset/abc", "/reset/done", "/reset/abc/def", "/help", "/help/x", "/about", "/en/about",
  "/files", "/files/a/b", "/Exact", "/exact", "/support/tickets/7", "/whatever/deep", "/reset/a%2Fb"];

describe("route-matching cache in @remix-run/router (CommonJS)", () => {
  test("the server's router is the patched CommonJS file", () => {
    expect(path.basename(routerFile)).toBe("router.cjs.js");
    expect(fs.readFileSync(routerFile, "utf8")).toContain(MARKER);
    // @remix-run/server-runtime (what the server calls) resolves the same file
    const fromServerRuntime = createRequire(requireCjs.resolve("@remix-run/server-runtime")).resolve("@remix-run/router");
    expect(fromServerRuntime).toBe(routerFile);
  });

  test("the server's router file also has the compilePath memo", () => {
    expect(fs.readFileSync(routerFile, "utf8")).toContain(MEMO_MARKER);
  });

  test("the server's router file also remembers the matching branch of static URLs", () => {
    expect(fs.readFileSync(routerFile, "utf8")).toContain(REMEMBER_MARKER);
  });

  test(`past ${REMEMBERED_URLS_CAP} remembered URLs (case variants of one static URL) matching stays as unpatched, for remembered, dropped and new ones`, () => {
    const routes: RouteObject[] = [
      { id: "root", path: "", children: [{ id: "token", path: "t/:token" }, { id: "static", path: "forgot-password" }, { id: "other", path: "*" }] },
    ];
    // 2^15 spellings of one path: more than the cap, each a distinct key
    const variant = (n: number) => "/" + [..."forgot-password"].map((c, i) => ((n >> i) & 1 ? c.toUpperCase() : c)).join("");
    const count = REMEMBERED_URLS_CAP + 200;
    for (const round of [1, 2, 3]) {
      for (let n = 0; n < count; n += round === 2 ? 7 : 1) {
        const p = variant(n);
        expect(summary(router.matchRoutes(routes, p)), `${p} (round ${round})`).toEqual(reference(routes, p));
      }
    }
    expect(summary(router.matchRoutes(routes, variant(5)))?.at(-1)?.id).toBe("static");
    expect(summary(router.matchRoutes(routes, "/t/secret-token"))?.at(-1)).toMatchObject({ id: "token", params: { token: "secret-token" } });
    expect(summary(router.matchRoutes(routes, "/forgot-password/x"))?.at(-1)).toMatchObject({ id: "other", params: { "*": "forgot-password/x" } });
  });

  test("a routes array is flattened once: changing it after its first match does not change matching", () => {
    const routes: RouteObject[] = [{ id: "a", path: "/a" }];
    expect(summary(router.matchRoutes(routes, "/a"))?.map((m) => m.id)).toEqual(["a"]);
    routes.push({ id: "b", path: "/b" });
    // the contract: server route arrays are never changed after their first match
    expect(router.matchRoutes(routes, "/b")).toBeNull();
    expect(reference(routes, "/b")?.map((m) => m.id)).toEqual(["b"]);
  });

  test("the router's own in-place route patching clears the cache", () => {
    const memory = router.createRouter({ routes: [{ id: "root", path: "/", children: [{ id: "a", path: "a" }] }], history: router.createMemoryHistory() });
    try {
      const before = memory.routes;
      expect(router.matchRoutes(before, "/b")?.map((m) => m.route.id)).toEqual(undefined);
      memory.patchRoutes("root", [{ id: "b", path: "b" }]); // pushes into root.children in place
      expect(router.matchRoutes(before, "/b")?.map((m) => m.route.id)).toEqual(["root", "b"]);
    } finally {
      memory.dispose();
    }
  });

  test("this app's routes match as the unpatched algorithm does, on first and cached calls", () => {
    const manifest = appManifest();
    expect(Object.keys(manifest).length).toBeGreaterThan(20);
    expect(Object.values(manifest).some((r) => r.path?.includes(":token"))).toBe(true);
    const paths = pathsOf(manifest);
    // the two arrays the server matches against: matchServerRoutes's and the static handler's
    for (const routes of [createRoutesModule.createRoutes(manifest), createRoutesModule.createStaticHandlerDataRoutes(manifest, { v3_singleFetch: true })]) {
      let matched = 0;
      for (const round of [1, 2]) {
        for (const p of paths) {
          const expected = reference(routes, p);
          expect(summary(router.matchRoutes(routes, p)), `${p} (call ${round})`).toEqual(expected);
          if (expected) matched++;
        }
      }
      expect(matched).toBeGreaterThan(60);
    }
  });

  test("index routes, dynamic segments, optional segments, splats and case-sensitive paths match as unpatched", () => {
    const routes = handMade.map((r) => ({ ...r }));
    for (const round of [1, 2]) {
      for (const p of handMadePaths) {
        expect(summary(router.matchRoutes(routes, p)), `${p} (call ${round})`).toEqual(reference(routes, p));
      }
    }
    expect(summary(router.matchRoutes(routes, "/reset/abc"))?.at(-1)).toMatchObject({ id: "reset-token", params: { token: "abc" } });
    expect(summary(router.matchRoutes(routes, "/en/about"))?.at(-1)).toMatchObject({ id: "about", params: { lang: "en" } });
    expect(summary(router.matchRoutes(routes, "/files/a/b"))?.at(-1)).toMatchObject({ id: "files", params: { "*": "a/b" } });
    expect(summary(router.matchRoutes(routes, "/exact"))?.at(-1)?.id).toBe("catch-all");
    expect(summary(router.matchRoutes(routes, "/reset"))?.at(-1)?.id).toBe("reset-index");
  });
});

describe("compilePath memo in @remix-run/router (CommonJS)", () => {
  test("repeated matching with memoized patterns gives the unpatched results: app routes, hand-made table, case-only differences", () => {
    const manifest = appManifest();
    const appPaths = pathsOf(manifest);
    // two tables whose patterns differ only in caseSensitive share the memo's path entry
    const caseSensitive: RouteObject[] = [{ id: "cs", path: "/Case/:id", caseSensitive: true }];
    const caseInsensitive: RouteObject[] = [{ id: "ci", path: "/Case/:id" }];
    const casePaths = ["/Case/1", "/case/1", "/CASE/1", "/Case/", "/Case/1/2"];
    const tables: [RouteObject[], string[]][] = [
      [createRoutesModule.createRoutes(manifest), appPaths],
      [createRoutesModule.createStaticHandlerDataRoutes(manifest, { v3_singleFetch: true }), appPaths],
      [handMade, handMadePaths],
      [caseSensitive, casePaths],
      [caseInsensitive, casePaths],
    ];
    for (const round of [1, 2, 3]) {
      for (const [routes, paths] of round === 2 ? [...tables].reverse() : tables) {
        for (const p of paths) {
          const expected = reference(routes, p);
          expect(summary(router.matchRoutes(routes, p)), `${p} (round ${round})`).toEqual(expected);
          expect(summary(router.matchRoutes([...routes], p)), `${p} (fresh array, round ${round})`).toEqual(expected);
        }
      }
    }
    expect(summary(router.matchRoutes(caseSensitive, "/case/1"))).toBeNull();
    expect(summary(router.matchRoutes(caseInsensitive, "/case/1"))?.[0]).toMatchObject({ id: "ci", params: { id: "1" } });
    expect(summary(router.matchRoutes(caseSensitive, "/Case/1"))?.[0]).toMatchObject({ id: "cs", params: { id: "1" } });
  });

  test("matchPath keys the memo on path, caseSensitive and end", () => {
    const patterns = ["/Exact", "/reset/:token", "/help/:topic?", "/files/*", "*", "/", "", "/a/b/", "/:lang?/about"];
    const pathnames = ["/exact", "/Exact", "/Exact/more", "/reset/abc", "/RESET/abc", "/reset/abc/def", "/help", "/help/x", "/files", "/files/a/b", "/", "/a/b", "/A/B/c", "/en/about", "/about"];
    const flags = [undefined, true, false];
    for (const round of [1, 2]) {
      for (const end of round === 1 ? flags : [...flags].reverse()) {
        for (const caseSensitive of round === 1 ? flags : [...flags].reverse()) {
          for (const p of patterns) {
            for (const pathname of pathnames) {
              const pattern = { path: p, caseSensitive, end };
              expect(router.matchPath(pattern, pathname), `${JSON.stringify(pattern)} ${pathname} (round ${round})`).toEqual(pristine().matchPath(pattern, pathname));
            }
          }
        }
      }
      for (const p of patterns) for (const pathname of pathnames) expect(router.matchPath(p, pathname)).toEqual(pristine().matchPath(p, pathname));
    }
    expect(router.matchPath({ path: "/Exact", caseSensitive: true }, "/exact")).toBeNull();
    expect(router.matchPath({ path: "/Exact", caseSensitive: false }, "/exact")?.pathname).toBe("/exact");
    expect(router.matchPath({ path: "/a", end: true }, "/a/b")).toBeNull();
    expect(router.matchPath({ path: "/a", end: false }, "/a/b")?.pathname).toBe("/a");
  });

  test(`the memo holds at most ${COMPILED_PATHS_CAP} paths, drops the oldest first, and matching stays correct past the cap`, () => {
    // compilePath warns when a path ends in "*" without "/"; with the memo it warns only when it compiles,
    // so the warnings show when the memo holds a pattern and when it has dropped it.
    const watched = "/watched*";
    let batch = 0;
    const distinctPatterns = (count: number) => {
      batch++;
      for (let i = 0; i < count; i++) {
        const pattern = `/cap-${batch}-${i}/:id`;
        const result = router.matchPath(pattern, `/cap-${batch}-${i}/x${i}`);
        expect(result?.params).toEqual({ id: `x${i}` });
        expect(router.matchPath(pattern, `/cap-${batch}-${i + 1}/x`)).toBeNull();
      }
    };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const expected = pristine().matchPath(watched, "/watched/deep");
      warn.mockClear(); // (the unpatched file warns too)
      const warnings = () => warn.mock.calls.filter(([message]) => String(message).includes(`"${watched}"`)).length;
      distinctPatterns(COMPILED_PATHS_CAP); // the memo now holds only these
      expect(router.matchPath(watched, "/watched/deep")).toEqual(expected);
      expect(warnings()).toBe(1); // compiled
      expect(router.matchPath(watched, "/watched/deep")).toEqual(expected);
      expect(warnings()).toBe(1); // memoized
      distinctPatterns(COMPILED_PATHS_CAP - 1); // drops the older batch, keeps the watched pattern
      expect(router.matchPath(watched, "/watched/deep")).toEqual(expected);
      expect(warnings()).toBe(1);
      distinctPatterns(1); // one more than the cap since the watched pattern went in: it is the oldest
      expect(router.matchPath(watched, "/watched/deep")).toEqual(expected);
      expect(warnings()).toBe(2); // compiled again
    } finally {
      warn.mockRestore();
    }
  });
});

describe("scripts/patch-remix-router.mjs", () => {
  const temporary: string[] = [];
  afterEach(() => {
    for (const dir of temporary.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  function fakeRouter(version: string, source: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-router-"));
    temporary.push(dir);
    fs.mkdirSync(path.join(dir, "dist"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "@remix-run/router", version }));
    fs.writeFileSync(path.join(dir, "dist", "router.cjs.js"), source);
    return dir;
  }
  const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: "utf8" });

  test("running it again exits 0 and leaves the patched file byte-identical", () => {
    const before = fs.readFileSync(routerFile);
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("already applied");
    expect(fs.readFileSync(routerFile).equals(before)).toBe(true);
  });

  test("another router version without the patch fails with one line naming the file and the expected version", () => {
    const dir = fakeRouter("1.24.0", "function matchRoutesImpl(routes) {\n  return null;\n}\n");
    const result = run(dir);
    expect(result.status).not.toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${path.basename(dir)}/dist/router.cjs.js`);
    expect(lines[0]).toContain("1.24.0");
    expect(lines[0]).toContain("1.23.3");
    expect(fs.readFileSync(path.join(dir, "dist", "router.cjs.js"), "utf8")).not.toContain(MARKER);
  });

  test("a file with only the route-matching cache gets the compilePath memo; the unpatched file gets both; the results are the installed file", () => {
    const installed = fs.readFileSync(routerFile, "utf8");
    const withoutMemo = unpatchedSource(PATCHES.filter((patch) => patch.marker === MEMO_MARKER));
    expect(withoutMemo).toContain(MARKER);
    expect(withoutMemo).not.toContain(MEMO_MARKER);
    for (const source of [withoutMemo, unpatchedSource()]) {
      const dir = fakeRouter("1.23.3", source);
      const result = run(dir);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("compilePath memo");
      expect(fs.readFileSync(path.join(dir, "dist", "router.cjs.js"), "utf8")).toBe(installed);
    }
  });

  test("a file with the first two patches gets the matching-branch memory; the result is the installed file", () => {
    const installed = fs.readFileSync(routerFile, "utf8");
    const withoutMemory = unpatchedSource(PATCHES.filter((patch) => patch.marker === REMEMBER_MARKER));
    expect(withoutMemory).toContain(MARKER);
    expect(withoutMemory).toContain(MEMO_MARKER);
    expect(withoutMemory).not.toContain(REMEMBER_MARKER);
    const dir = fakeRouter("1.23.3", withoutMemory);
    const result = run(dir);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("matching-branch memory");
    expect(result.stdout).not.toContain("compilePath memo");
    expect(fs.readFileSync(path.join(dir, "dist", "router.cjs.js"), "utf8")).toBe(installed);
  });

  test("another router version with only the route-matching cache fails with one line and writes nothing", () => {
    const source = `// ${MARKER}\nfunction compilePath(path, caseSensitive, end) {\n  if (caseSensitive === void 0) {\n  }\n}\n`;
    const dir = fakeRouter("1.24.0", source);
    const result = run(dir);
    expect(result.status).not.toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("compilePath memo");
    expect(lines[0]).toContain("1.24.0");
    expect(lines[0]).toContain("1.23.3");
    expect(fs.readFileSync(path.join(dir, "dist", "router.cjs.js"), "utf8")).toBe(source);
  });

  test("the expected version with changed source text fails and writes nothing", () => {
    const source = "function matchRoutesImpl(routes, locationArg, basename, allowPartial) {\n  let branches = flattenRoutes(routes);\n}\n";
    const dir = fakeRouter("1.23.3", source);
    const result = run(dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("router.cjs.js");
    expect(result.stderr).toContain("1.23.3");
    expect(fs.readFileSync(path.join(dir, "dist", "router.cjs.js"), "utf8")).toBe(source);
  });
});

// The same-request pass-through patched into @remix-run/server-runtime's dist/data.js (docs/decisions/0028).
type RouteCall = (args: {
  loadContext: unknown;
  params: Record<string, string>;
  request: Request;
  routeId: string;
  singleFetch: boolean;
  action?: (args: { request: Request }) => Promise<unknown>;
  loader?: (args: { request: Request }) => Promise<unknown>;
}) => Promise<unknown>;
interface DataModule {
  callRouteAction: RouteCall;
  callRouteLoader: RouteCall;
}
const dataFile = createRequire(requireCjs.resolve("@remix-run/node")).resolve("@remix-run/server-runtime/dist/data.js");
const SAME_REQUEST_MARKER = "recovery-portal patch: a request without a query string is passed on as is";

describe("same-request pass-through in @remix-run/server-runtime (CommonJS)", () => {
  let pristineData: DataModule | undefined;
  /** The unpatched data.js, loaded from a temporary copy that requires the installed responses.js. */
  function pristineDataModule(): DataModule {
    const responses = JSON.stringify(path.join(path.dirname(dataFile), "responses.js"));
    pristineData ??= loadPristine<DataModule>(unpatchedSource(SERVER_RUNTIME_PATCHES, dataFile).replace("require('./responses.js')", `require(${responses})`), "data.js");
    return pristineData;
  }
  const patched = () => requireCjs(dataFile) as DataModule;

  /** What a loader or action sees of the request it is given, and the object itself. */
  async function seen(module: DataModule, kind: "action" | "loader", url: string, singleFetch: boolean, body?: string) {
    const controller = new AbortController();
    const request = new Request(url, { method: kind === "action" ? "POST" : "GET", headers: { "content-type": "application/x-www-form-urlencoded", "x-probe": "1" }, body, signal: controller.signal });
    let given: Request | undefined;
    const handler = async (args: { request: Request }) => {
      given = args.request;
      return { ok: true };
    };
    await module[kind === "action" ? "callRouteAction" : "callRouteLoader"]({ loadContext: {}, params: {}, request, routeId: "routes/x", singleFetch, [kind]: handler });
    const text = kind === "action" ? await given!.text() : "";
    controller.abort();
    return { same: given === request, url: given!.url, method: given!.method, headers: [...given!.headers], text, aborted: given!.signal.aborted };
  }

  test("the server's data.js is the patched CommonJS file", () => {
    expect(path.basename(dataFile)).toBe("data.js");
    expect(fs.readFileSync(dataFile, "utf8").split(SAME_REQUEST_MARKER)).toHaveLength(4);
  });

  const urls = ["http://x.test/forgot-password", "http://x.test/forgot-password?", "http://x.test/a?x=b,c%2C d", "http://x.test/?index", "http://x.test/?index=&a=1", "http://x.test/?index=keep&b=2", "http://x.test/r?_data=routes%2Fr", "http://x.test/r.data?_routes=root,routes%2Fr", "http://x.test/r?a=1&index&_data=root&_routes=x", "http://x.test/r?indexx=1&data=2"];
  for (const singleFetch of [false, true]) {
    for (const kind of ["action", "loader"] as const) {
      test(`${kind}s${singleFetch ? " (single fetch)" : ""} see what they saw unpatched; the same object when the URL has no query string`, async () => {
        for (const url of urls) {
          const body = kind === "action" ? "identifier=alice&x=%E2%82%AC" : undefined;
          const { same, ...after } = await seen(patched(), kind, url, singleFetch, body);
          const { same: copied, ...before } = await seen(pristineDataModule(), kind, url, singleFetch, body);
          expect(after, url).toEqual(before);
          expect(copied, url).toBe(false);
          expect(same, url).toBe(!url.includes("?"));
        }
      });
    }
  }

  test("the script patches an unpatched data.js of 2.17.5 into the installed file, and refuses another version", () => {
    const installed = fs.readFileSync(dataFile, "utf8");
    const make = (version: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-server-runtime-"));
      fs.mkdirSync(path.join(dir, "dist"));
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "@remix-run/server-runtime", version }));
      fs.writeFileSync(path.join(dir, "dist", "data.js"), unpatchedSource(SERVER_RUNTIME_PATCHES, dataFile));
      return dir;
    };
    const routerDir = path.dirname(path.dirname(routerFile));
    const good = make("2.17.5");
    const bad = make("2.18.0");
    try {
      const ok = spawnSync(process.execPath, [script, routerDir, good], { cwd: root, encoding: "utf8" });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain("same-request pass-through");
      expect(fs.readFileSync(path.join(good, "dist", "data.js"), "utf8")).toBe(installed);
      const refused = spawnSync(process.execPath, [script, routerDir, bad], { cwd: root, encoding: "utf8" });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toContain("2.18.0");
      expect(refused.stderr).toContain("2.17.5");
      expect(fs.readFileSync(path.join(bad, "dist", "data.js"), "utf8")).not.toContain(SAME_REQUEST_MARKER);
    } finally {
      for (const dir of [good, bad]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
