import { PassThrough } from "node:stream";
import type { ReactNode } from "react";
import { renderToPipeableStream } from "react-dom/server";
import { createReadableStreamFromReadable } from "@remix-run/node";

type Options = {
  /** The CSP nonce, put on every inline script React writes. */
  nonce: string;
  status: number;
  headers: Headers;
  /** A render not finished by then is aborted: what is still pending renders as an error. */
  abortDelayMs: number;
  /** An error after the document has started (before that, the answer becomes a 500). */
  onLateError(error: unknown): void;
};

/**
 * Renders a whole document before answering: pages are small, and crawlers, scanners and browsers
 * without JavaScript then get complete HTML.
 *
 * The deadline is cleared as soon as the render is done. A timer left pending keeps everything the
 * render holds (its tree, its output, the loader data) alive until it fires: with a 5-second
 * deadline that was five seconds of every page rendered, which V8 moved to the old generation and
 * had to mark again at every mark-compact (docs/decisions/0031).
 */
export function renderDocument(element: ReactNode, { nonce, status, headers, abortDelayMs, onLateError }: Options): Promise<Response> {
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    let abortRender: () => void = () => undefined;
    const deadline = setTimeout(() => abortRender(), abortDelayMs);
    const { pipe, abort } = renderToPipeableStream(element, {
      nonce,
      onAllReady() {
        clearTimeout(deadline);
        shellRendered = true;
        const body = new PassThrough();
        const stream = createReadableStreamFromReadable(body);
        headers.set("Content-Type", "text/html; charset=utf-8");
        resolve(new Response(stream, { headers, status }));
        pipe(body);
      },
      onShellError(error: unknown) {
        clearTimeout(deadline);
        reject(error);
      },
      onError(error: unknown) {
        status = 500;
        if (shellRendered) onLateError(error);
      },
    });
    abortRender = abort;
  });
}
