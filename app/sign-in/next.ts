/**
 * Where a sign-in may continue to (issue 15: the done pages' "make it easier next time" buttons
 * lead to /login?next=…). Only these local paths, exactly; anything else is ignored, so `next`
 * can never send a browser to another site (no open redirect).
 */
export const POST_SIGN_IN_PATHS = ["/account", "/account/security", "/account/totp", "/account/phone"] as const;

/** The allowed destination named by `value`, or null. */
export function postSignInPath(value: string | null | undefined): string | null {
  return value && (POST_SIGN_IN_PATHS as readonly string[]).includes(value) ? value : null;
}

/** `path` with `?next=` kept when it is allowed. */
export function withNext(path: string, next: string | null): string {
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}
