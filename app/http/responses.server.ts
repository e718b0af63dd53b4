import { data } from "@remix-run/node";

/** The one "slow down" answer: the same page and Retry-After whoever asks (REQ-05). */
export function throttledResponse(retryAfterSeconds: number) {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return data(`You've tried this too many times. Please wait about ${minutes} minute${minutes === 1 ? "" : "s"} and try again.`, {
    status: 429,
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

/**
 * A route's `headers` export that keeps Retry-After from its action's answer (Remix drops
 * action headers on document requests unless a route passes them on).
 */
export function keepRetryAfter({ actionHeaders, errorHeaders }: { actionHeaders: Headers; errorHeaders?: Headers }): Headers {
  const headers = new Headers();
  const value = errorHeaders?.get("Retry-After") ?? actionHeaders.get("Retry-After");
  if (value) headers.set("Retry-After", value);
  return headers;
}
