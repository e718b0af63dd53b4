import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/node";
import { RemixServer, isRouteErrorResponse } from "@remix-run/react";
import { renderDocument } from "~/http/render-document.server";
import { I18nextProvider } from "react-i18next";
import { NonceContext } from "~/ui/nonce";
import { i18nFor } from "~/i18n/instance";
import { languageCookie, requestedLocale } from "~/i18n/locale.server";
import { redactPath } from "~/log.server";

const ABORT_DELAY = 5_000;

/** One JSON line for a fault; the stack is kept short so that no request can flood the log. */
function errorFields(error: unknown) {
  if (!(error instanceof Error)) return { err: { message: String(error).slice(0, 300) } };
  return { err: { type: error.name, message: error.message.slice(0, 300), stack: error.stack?.split("\n").slice(1, 8).map((l) => l.trim()).join(" | ").slice(0, 1000) } };
}

/**
 * Remix calls this for every error it meets. Its default prints multi-line stack traces with
 * console.error, even for a client's mistake (no such route, a method a route has no action
 * for): 2.4 MB of them in a 10,000-request fuzz run. A client's mistake (a 4xx) and a
 * request the client abandoned log nothing beyond the access line; a real fault logs one line.
 */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status < 500) return;
  // Remix's own warning for a ?_data request; server.ts refuses those before Remix.
  if (error instanceof Error && error.message.startsWith("Warning: Single fetch-enabled apps")) return;
  const path = redactPath(new URL(request.url).pathname).slice(0, 200);
  context.services.logger.error({ requestId: context.requestId, method: request.method, path, ...errorFields(error) }, "request failed");
};

/** Renders every page to a stream; the CSP nonce from server.ts goes on every inline script. */
export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.nonce;
  // `?lng=es` picks the language and the browser keeps it (issue 16).
  const asked = requestedLocale(request);
  if (asked) responseHeaders.append("Set-Cookie", languageCookie(asked, loadContext.services.config.secureCookies));
  return renderDocument(
    <I18nextProvider i18n={i18nFor(loadContext.locale)}>
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>
    </I18nextProvider>,
    {
      nonce,
      status: responseStatusCode,
      headers: responseHeaders,
      abortDelayMs: ABORT_DELAY,
      onLateError: (error) => loadContext.services.logger.error({ requestId: loadContext.requestId, ...errorFields(error) }, "render failed"),
    },
  );
}
