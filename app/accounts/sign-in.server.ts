import type { AppLoadContext } from "@remix-run/node";
import { audit } from "~/audit/audit.server";
import { authenticate, findUsersByLogin, type User } from "./accounts.server";

export type SignInOutcome =
  | { ok: true; user: User }
  | { ok: false; status: 400 | 429; message: string; retryAfter?: number };

/** One message for every wrong combination, so it never says which part was wrong. */
export const SIGN_IN_FAILED = "That username or email and password don't match. Check them and try again.";

export async function signIn(context: AppLoadContext, identifier: string, password: string): Promise<SignInOutcome> {
  const { db, clock, limits, metrics } = context.services;
  const ipCheck = await limits.check("login_failures_per_ip", context.clientIp);
  if (!ipCheck.ok) {
    metrics.signIns.inc({ outcome: "throttled" });
    return {
      ok: false,
      status: 429,
      message: `Too many attempts from your network. Wait ${Math.ceil(ipCheck.retryAfterSeconds / 60)} minute(s) and try again.`,
      retryAfter: ipCheck.retryAfterSeconds,
    };
  }
  const user = await authenticate(db, identifier, password);
  const meta = { ip: context.clientIp, userAgent: context.userAgent };
  if (!user) {
    await limits.consume("login_failures_per_ip", context.clientIp);
    const known = findUsersByLogin(db, identifier)[0];
    audit(db, clock.now(), {
      event: "sign_in",
      outcome: "failure",
      actorType: "anonymous",
      userId: known?.id ?? null,
      ...meta,
      details: { reason: "bad_credentials" },
    });
    metrics.signIns.inc({ outcome: "failure" });
    return { ok: false, status: 400, message: SIGN_IN_FAILED };
  }
  audit(db, clock.now(), { event: "sign_in", outcome: "success", actorType: "user", actorId: user.id, userId: user.id, ...meta });
  metrics.signIns.inc({ outcome: "success" });
  return { ok: true, user };
}
