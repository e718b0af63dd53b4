import { describe, expect, test } from "vitest";
import { portalProcesses, readProc, startCommand } from "../helpers/app";
import { Client, DEMO_PASSWORD } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { probes } from "../helpers/probes";

/** GEN-01: a production start has no test hooks, no development mailbox and no demo accounts. */

// startApp turns TEST_HOOKS on by default; production must run without it. Production also
// refuses the console SMS provider (H3) and, unless told otherwise, an http APP_ORIGIN (L13);
// this test talks plain http to localhost.
const { app } = usePortal({
  env: { NODE_ENV: "production", TEST_HOOKS: "0", ALLOW_INSECURE_ORIGIN: "1" },
  sms: { secret: "production-test-webhook-secret", path: "/sms" },
});

describe("production", () => {
  test("GEN-01: the /__test hooks do not exist", async () => {
    for (const [p, body] of [
      ["/__test/clock", { advanceMs: 3_600_000 }],
      ["/__test/clock", { reset: true }],
      ["/__test/outbox/drain", {}],
    ] as const) {
      const res = await fetch(app.origin + p, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/json", origin: app.origin },
        body: JSON.stringify(body),
      });
      expect(res.status, p).toBe(404);
      expect(res.headers.get("content-type") ?? "", p).not.toMatch(/json/);
    }
    await expect(app.advanceClock(60_000)).rejects.toThrow(/404/);
  });

  test("GEN-01: /dev/mailbox is not served", async () => {
    const c = new Client(app.origin);
    for (const p of ["/dev/mailbox", "/dev/mailbox/1/html"]) {
      const res = await c.get(p);
      expect(res.status, p).toBe(404);
      expect(await res.text(), p).not.toContain("Development mailbox");
    }
  });

  test("no demo accounts: alice cannot sign in", async () => {
    const probe = probes(() => app);
    expect([probe.userExists("alice"), probe.userExists("bob")]).toEqual([false, false]);
    const c = new Client(app.origin);
    const res = await c.post("/login", { identifier: "alice", password: DEMO_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.headers.getSetCookie().some((s) => s.startsWith("session="))).toBe(false);
    expect(app.logs()).not.toContain(DEMO_PASSWORD);
  });

  test("a 404 page shows no internals in production", async () => {
    const res = await new Client(app.origin).get("/no-such-page");
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain("Page not found");
    expect(html).not.toMatch(/node_modules|at getInternalRouterError|\.ts:\d+/);
  });

  test("/healthz answers once migrations are done", async () => {
    const res = await fetch(`${app.origin}/healthz`);
    expect(res.status).toBe(200);
  });

  test("it runs as `npm start` runs it: glibc's arenas capped (MALLOC_ARENA_MAX=2, docs/decisions/0025) and V8's heap flags", () => {
    const pid = portalProcesses(app.dbPath).find((p) => readProc(`/proc/${p}/cmdline`)?.includes("build/server.js"));
    expect(pid, "the portal's process").toBeDefined();
    const { env, flags } = startCommand();
    expect(env).toEqual({ MALLOC_ARENA_MAX: "2" });
    expect(readProc(`/proc/${pid}/environ`)?.split("\0")).toContain("MALLOC_ARENA_MAX=2");
    expect(readProc(`/proc/${pid}/cmdline`)?.split("\0")).toEqual(expect.arrayContaining([...flags, "build/server.js"]));
  });
});
