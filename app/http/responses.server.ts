import { data } from "@remix-run/node";

/** The one "slow down" answer: the same page and Retry-After whoever asks (REQ-05). */
export function throttledResponse(retryAfterSeconds: number) {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return data(`You've tried this too many times. Please wait about ${minutes} minute${minutes === 1 ? "" : "s"} and try again.`, {
    status: 429,
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}
