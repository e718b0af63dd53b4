import { createElement, Suspense } from "react";
import { describe, expect, it } from "vitest";
import { renderDocument } from "~/http/render-document.server";

// Every page goes through renderDocument (app/entry.server.tsx). A timer left behind by a finished
// render kept the whole render alive until it fired (docs/decisions/0031).

/**
 * Runs `work` and counts the timers it started (with the global setTimeout, as renderDocument's
 * deadline is) that are still pending once it settles. Counting the process's timers instead
 * (process.getActiveResourcesInfo) also counted the test runner's own, which come and go on their
 * own schedule: on a slow machine one ended during the 50 ms test and the count went down.
 */
async function pendingTimersOf<T>(work: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; pending: number }> {
  const pending = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSet(
      (...a: unknown[]) => {
        pending.delete(timer);
        callback(...a);
      },
      ms,
      ...args,
    );
    pending.add(timer);
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout;
  try {
    const [outcome] = await Promise.allSettled([work()]);
    return { outcome, pending: pending.size };
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
}

const valueOf = <T>(outcome: PromiseSettledResult<T>): T => {
  if (outcome.status === "rejected") throw outcome.reason;
  return outcome.value;
};

const page = (...children: Parameters<typeof createElement>[2][]) => createElement("html", null, createElement("body", null, ...children));

/** A component that suspends and never resumes: its boundary stays pending until the render is aborted. */
function Never(): never {
  throw new Promise(() => undefined);
}

describe("renderDocument", () => {
  it("answers with the whole document and leaves no timer behind", async () => {
    const lateErrors: unknown[] = [];
    const { outcome, pending } = await pendingTimersOf(() =>
      renderDocument(page(createElement("h1", null, "Reset your password")), {
        nonce: "n0nce",
        status: 200,
        headers: new Headers({ "X-Test": "kept" }),
        abortDelayMs: 5_000,
        onLateError: (error) => lateErrors.push(error),
      }),
    );
    const response = valueOf(outcome);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-test")).toBe("kept");
    expect(await response.text()).toContain("<h1>Reset your password</h1>");
    expect(pending).toBe(0);
    expect(lateErrors).toEqual([]);
  });

  it("a render still pending at the deadline is aborted: the pending part becomes an error and the answer a 500", async () => {
    const started = Date.now();
    const { outcome, pending } = await pendingTimersOf(() =>
      renderDocument(page(createElement(Suspense, { fallback: "waiting" }, createElement(Never))), {
        nonce: "n0nce",
        status: 200,
        headers: new Headers(),
        abortDelayMs: 50,
        onLateError: () => undefined,
      }),
    );
    const response = valueOf(outcome);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("waiting");
    expect(pending).toBe(0);
  });

  it("a shell that fails to render rejects, and leaves no timer behind", async () => {
    function Broken(): never {
      throw new Error("shell failed");
    }
    const { outcome, pending } = await pendingTimersOf(() => renderDocument(createElement(Broken), { nonce: "n0nce", status: 200, headers: new Headers(), abortDelayMs: 5_000, onLateError: () => undefined }));
    expect(() => valueOf(outcome)).toThrow("shell failed");
    expect(pending).toBe(0);
  });
});
