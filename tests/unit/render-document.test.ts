import { createElement, Suspense } from "react";
import { describe, expect, it } from "vitest";
import { renderDocument } from "~/http/render-document.server";

// Every page goes through renderDocument (app/entry.server.tsx). A timer left behind by a finished
// render kept the whole render alive until it fired (docs/decisions/0031).

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

const page = (...children: Parameters<typeof createElement>[2][]) => createElement("html", null, createElement("body", null, ...children));

/** A component that suspends and never resumes: its boundary stays pending until the render is aborted. */
function Never(): never {
  throw new Promise(() => undefined);
}

describe("renderDocument", () => {
  it("answers with the whole document and leaves no timer behind", async () => {
    const before = timers();
    const lateErrors: unknown[] = [];
    const response = await renderDocument(page(createElement("h1", null, "Reset your password")), {
      nonce: "n0nce",
      status: 200,
      headers: new Headers({ "X-Test": "kept" }),
      abortDelayMs: 5_000,
      onLateError: (error) => lateErrors.push(error),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-test")).toBe("kept");
    expect(await response.text()).toContain("<h1>Reset your password</h1>");
    expect(timers()).toBe(before);
    expect(lateErrors).toEqual([]);
  });

  it("a render still pending at the deadline is aborted: the pending part becomes an error and the answer a 500", async () => {
    const before = timers();
    const started = Date.now();
    const response = await renderDocument(page(createElement(Suspense, { fallback: "waiting" }, createElement(Never))), {
      nonce: "n0nce",
      status: 200,
      headers: new Headers(),
      abortDelayMs: 50,
      onLateError: () => undefined,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("waiting");
    expect(timers()).toBe(before);
  });

  it("a shell that fails to render rejects, and leaves no timer behind", async () => {
    const before = timers();
    function Broken(): never {
      throw new Error("shell failed");
    }
    await expect(renderDocument(createElement(Broken), { nonce: "n0nce", status: 200, headers: new Headers(), abortDelayMs: 5_000, onLateError: () => undefined })).rejects.toThrow("shell failed");
    expect(timers()).toBe(before);
  });
});
