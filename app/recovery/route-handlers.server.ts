import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { throttledResponse } from "~/http/responses.server";
import { requireHold } from "./journey.server";
import { acceptLink, inspectLink, requestRecovery, resend, verifyCode, type Purpose } from "./flows.server";
import { codeSchema, identifierSchema } from "./schemas";
import { codeMessage, resendMessage } from "./messages";
import { fixedT } from "~/i18n/instance";

/**
 * The loaders and actions that the reset and unlock pages share, so both flows behave the same
 * and each route file stays a thin page. `paths` says where each step lives for a purpose.
 */
export type FlowPaths = { start: string; code: string; verified: string };

export const FLOW_PATHS: Record<Purpose, FlowPaths> = {
  reset: { start: "/forgot-password", code: "/forgot-password/code", verified: "/reset/password" },
  unlock: { start: "/unlock", code: "/unlock/code", verified: "/unlock/verified" },
};

const LINK_STATUS_CODE = { expired: 410, used: 410, invalid: 404, throttled: 429 } as const;

/** Whatever was typed, the answer is the same redirect with a fresh recovery cookie (REQ-01). */
export async function requestAction(purpose: Purpose, { request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: identifierSchema });
  if (submission.status !== "success") {
    return data(
      { errors: submission.error?.identifier ?? ["recovery:errors.checkTyped"], value: String(form.get("identifier") ?? "").slice(0, 320) },
      { status: 400 },
    );
  }
  const outcome = await requestRecovery(context, request, purpose, submission.value.identifier, { bot: isBot(form) });
  if (!outcome.ok) throw throttledResponse(outcome.retryAfterSeconds);
  throw redirect(FLOW_PATHS[purpose].code, { status: 303, headers: { "Set-Cookie": outcome.cookie } });
}

export async function codeLoader(purpose: Purpose, { request, context }: LoaderFunctionArgs) {
  const check = await requireHold(context, request, purpose, "code");
  if (!check.ok) throw redirect(check.reason === "no-hold" ? FLOW_PATHS[purpose].start : FLOW_PATHS[purpose].verified);
  const minutes = Math.round(context.services.config.recovery.linkTtlMs / 60_000);
  return { linkMinutes: minutes, codeMinutes: Math.min(10, minutes), via: check.hold.flow.requested_via };
}

export async function codeAction(purpose: Purpose, { request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "resend" || intent === "sms") {
    const outcome = await resend(context, request, purpose, { viaSms: intent === "sms" });
    if (!outcome.ok && outcome.reason === "no-flow") throw redirect(FLOW_PATHS[purpose].start);
    const wait = !outcome.ok && outcome.reason === "cooldown" ? { "Retry-After": String(outcome.waitSeconds) } : undefined;
    return data({ message: resendMessage(outcome, intent === "sms", fixedT(context.locale)), codeErrors: null }, { status: outcome.ok ? 200 : 429, headers: wait });
  }
  const submission = parseWithZod(form, { schema: codeSchema });
  if (submission.status !== "success") {
    return data({ message: null, codeErrors: submission.error?.code ?? ["recovery:errors.codeFormat"] }, { status: 400 });
  }
  const outcome = await verifyCode(context, request, purpose, submission.value.code);
  if (outcome.ok) throw redirect(FLOW_PATHS[purpose].verified, { status: 303, headers: { "Set-Cookie": outcome.cookie } });
  if (outcome.reason === "no-flow") throw redirect(FLOW_PATHS[purpose].start);
  return data({ message: codeMessage(outcome, fixedT(context.locale)), codeErrors: null }, { status: 400 });
}

/** GET or HEAD of a link changes nothing (TOK-10). */
export async function linkLoader(purpose: Purpose, { params, context }: LoaderFunctionArgs) {
  const status = await inspectLink(context, purpose, params.token ?? "");
  if (status !== "valid") return data({ status }, { status: LINK_STATUS_CODE[status] });
  return { status };
}

/** Continue: this browser gets a verified hold and moves to a URL without the token (TOK-11). */
export async function linkAction(purpose: Purpose, { params, context }: ActionFunctionArgs) {
  const outcome = await acceptLink(context, purpose, params.token ?? "");
  if (outcome.ok) throw redirect(FLOW_PATHS[purpose].verified, { status: 303, headers: { "Set-Cookie": outcome.cookie } });
  return data({ status: outcome.status }, { status: LINK_STATUS_CODE[outcome.status] });
}

/** Each step's handlers bound to its flow, so a route file only re-exports the ones it serves. */
export const resetRequestAction = (args: ActionFunctionArgs) => requestAction("reset", args);
export const unlockRequestAction = (args: ActionFunctionArgs) => requestAction("unlock", args);
export const resetCodeLoader = (args: LoaderFunctionArgs) => codeLoader("reset", args);
export const unlockCodeLoader = (args: LoaderFunctionArgs) => codeLoader("unlock", args);
export const resetCodeAction = (args: ActionFunctionArgs) => codeAction("reset", args);
export const unlockCodeAction = (args: ActionFunctionArgs) => codeAction("unlock", args);
export const resetLinkLoader = (args: LoaderFunctionArgs) => linkLoader("reset", args);
export const unlockLinkLoader = (args: LoaderFunctionArgs) => linkLoader("unlock", args);
export const resetLinkAction = (args: ActionFunctionArgs) => linkAction("reset", args);
export const unlockLinkAction = (args: ActionFunctionArgs) => linkAction("unlock", args);
