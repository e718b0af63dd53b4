import type { RequestContext } from "~/context.server";
import { z } from "zod";
import { requireRecentUser, requireUser, safeNext, signInCookies, startUserSession } from "~/sign-in/auth.server";
import { mayRecover, mayStartSession } from "~/accounts/access.server";
import { recordEvent } from "~/audit/events.server";
import { clearPendingSignIn, pendingSignInUser } from "~/sign-in/pending.server";
import { advance, enter, requireHold } from "~/recovery/journey.server";
import { authenticationOptions, clearChallengeCookie, registrationOptions, verifyAuthentication, verifyRegistration } from "~/factors/webauthn.server";

/**
 * The JSON endpoint behind every passkey button. `use` says what the passkey is for:
 * add (signed in), sign-in (discoverable), second factor at sign-in, second factor during a
 * reset, or starting a reset with the passkey alone.
 */
const USES = ["add", "sign-in", "login-factor", "reset-factor", "reset", "reauth"] as const;

/**
 * This is a resource route: with single fetch, a `data()` result returned from one is turned into
 * plain JSON and loses its status and Set-Cookie headers (so no challenge cookie, no session), so
 * answer with a real Response.
 */
const data = (body: unknown, init?: ResponseInit) => Response.json(body, init);

const PASSKEY_FAILED = "ui:passkey.server.failed";

// Messages are catalogue keys: the passkey button shows them in the page's language.
const refuse = (message: string, status = 400) => data({ ok: false, message }, { status });

const bodySchema = z.object({
  step: z.string().optional(),
  use: z.enum(USES).optional(),
  response: z.unknown().optional(),
  name: z.string().optional(),
  next: z.string().optional(),
});

/** The account whose reset hold waits for its second factor, if this browser has one. */
async function resetFactorUser(request: Request, context: RequestContext) {
  const check = await requireHold(context, request, "reset", "second-factor");
  return check.ok ? check.hold.user : null;
}

export async function webauthnAction(request: Request, context: RequestContext) {
  if (!/^application\/json\b/.test(request.headers.get("content-type") ?? "")) return refuse("ui:passkey.server.badRequest");
  let json: unknown;
  try {
    json = await request.json();
  } catch {
    return refuse("ui:passkey.server.badRequest");
  }
  // Any JSON parses (null, numbers, arrays): only an object of this shape goes further (GEN-01).
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) return refuse("ui:passkey.server.badRequest");
  const body = parsed.data;
  const use = body.use;
  const headers = new Headers();

  if (body.step === "options") {
    if (use === "add") {
      const { user } = await requireRecentUser(request, context);
      const { options, cookie } = await registrationOptions(context, user);
      headers.append("Set-Cookie", cookie);
      return data({ ok: true, options }, { headers });
    }
    const user =
      use === "login-factor"
        ? await pendingSignInUser(request, context)
        : use === "reset-factor"
          ? await resetFactorUser(request, context)
          : use === "reauth"
            ? (await requireUser(request, context)).user
            : null;
    if ((use === "login-factor" || use === "reset-factor") && !user) return refuse("ui:passkey.server.startAgain", 403);
    if (use !== "sign-in" && use !== "reset" && use !== "login-factor" && use !== "reset-factor" && use !== "reauth") return refuse("ui:passkey.server.badRequest");
    const purpose = use === "sign-in" ? "sign_in" : use === "reset" ? "reset" : "second_factor";
    const { options, cookie } = await authenticationOptions(context, purpose, user);
    headers.append("Set-Cookie", cookie);
    return data({ ok: true, options }, { headers });
  }

  if (body.step !== "verify") return refuse("ui:passkey.server.badRequest");
  headers.append("Set-Cookie", clearChallengeCookie(context));
  if (use === "add") {
    const { user, session } = await requireRecentUser(request, context);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the browser's JSON, checked by simplewebauthn
    const ok = await verifyRegistration(context, request, user, body.response as any, String(body.name ?? "Passkey"), session.id);
    return ok ? data({ ok: true, redirect: "/account/security?added=passkey" }, { headers }) : refuse("ui:passkey.server.notAdded");
  }
  const purpose = use === "sign-in" ? "sign_in" : use === "reset" ? "reset" : "second_factor";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the browser's JSON, checked by simplewebauthn
  const user = await verifyAuthentication(context, request, purpose, body.response as any);
  if (!user) return data({ ok: false, message: PASSKEY_FAILED }, { status: 400, headers });

  if (use === "reauth") {
    // Fresh authentication at the passkey's level before a sensitive change (MFA-06); new session id (SES-03).
    const { user: current } = await requireUser(request, context);
    if (current.id !== user.id) return refuse("ui:passkey.server.otherAccount", 403);
    headers.append("Set-Cookie", await startUserSession(request, context, user));
    await recordEvent(context, { event: "reauthenticated", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { method: "passkey" } });
    return data({ ok: true, redirect: safeNext(typeof body.next === "string" ? body.next : null) }, { headers });
  }
  if (use === "sign-in" || use === "login-factor") {
    if (use === "login-factor" && (await pendingSignInUser(request, context))?.id !== user.id) return refuse("ui:passkey.server.startAgain", 403);
    // A passkey is no way around a lock: refused like a passkey that didn't work (H1).
    const access = await mayStartSession(context.services.db, user.id, context.services.clock.now());
    if (!access.ok) {
      await recordEvent(context, { event: "sign_in", outcome: "failure", userId: user.id, details: { method: "passkey", reason: access.reason } });
      return data({ ok: false, message: PASSKEY_FAILED }, { status: 400, headers });
    }
    for (const cookie of await signInCookies(request, context, user)) headers.append("Set-Cookie", cookie);
    headers.append("Set-Cookie", clearPendingSignIn(context));
    await recordEvent(context, { event: "sign_in", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { method: "passkey" } });
    return data({ ok: true, redirect: "/account" }, { headers });
  }
  if (use === "reset-factor") {
    const check = await requireHold(context, request, "reset", "second-factor");
    if (!check.ok || check.hold.user.id !== user.id) return refuse("ui:passkey.server.startAgain", 403);
    await advance(context, check.hold, "passkey");
    return data({ ok: true, redirect: "/reset/password" }, { headers });
  }
  // A user-verified passkey alone proves enough to choose a new password (DESIGN.md §4), unless
  // the account is with support after a staff or compromise lock (H1).
  if (!(await mayRecover(context.services.db, user.id, context.services.clock.now()))) {
    await recordEvent(context, { event: "password_reset_refused", outcome: "failure", userId: user.id, details: { method: "passkey", reason: "locked" } });
    return data({ ok: false, message: PASSKEY_FAILED }, { status: 400, headers });
  }
  headers.append("Set-Cookie", await enter(context, user, "passkey"));
  await recordEvent(context, { event: "password_reset_passkey_verified", outcome: "success", userId: user.id });
  return data({ ok: true, redirect: "/reset/password" }, { headers });
}
