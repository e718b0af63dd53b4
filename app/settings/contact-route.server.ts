import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { readForm } from "~/http/forms.server";
import { requireRecentUser } from "~/sign-in/auth.server";
import { pendingChange, startContactChange, verifyContactChange, type ContactKind } from "./contacts.server";
import { startRefusal } from "./messages";

/** Loader and action shared by /account/email and /account/phone. */
export async function contactLoader(kind: ContactKind, { request, context }: LoaderFunctionArgs) {
  const { user } = await requireRecentUser(request, context);
  const pending = await pendingChange(context, user.id, kind);
  return {
    current: kind === "email" ? user.email : user.phone,
    pending: pending ? pending.new_value : null,
  };
}

export async function contactAction(kind: ContactKind, { request, context }: ActionFunctionArgs) {
  const { user, session } = await requireRecentUser(request, context);
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "start") {
    const outcome = await startContactChange(context, user, kind, String(form.get("value") ?? "").slice(0, 320));
    if (!outcome.ok) {
      // The page says it in its language: a catalogue key per refusal (app/settings/messages.ts keeps the status).
      const refusal = startRefusal(outcome);
      return data({ error: `account:contact.refusal.${outcome.reason}`, codeError: null, attemptsLeft: null }, { status: refusal.status });
    }
    throw redirect(`/account/${kind}`, { status: 303 });
  }
  if (intent === "verify") {
    const code = String(form.get("code") ?? "").replace(/[\s-]/g, "").slice(0, 32);
    const outcome = await verifyContactChange(context, user, kind, code, session.id);
    if (!outcome.ok) {
      const attemptsLeft = outcome.reason === "wrong" ? outcome.attemptsLeft : null;
      return data({ error: null, codeError: `account:contact.codeRefusal.${outcome.reason}`, attemptsLeft }, { status: 400 });
    }
    throw redirect(`/account?changed=${kind}`, { status: 303 });
  }
  throw data("account:errors.unknownIntent", { status: 400 });
}

/** Each page's handlers, bound to its kind, so the route files only re-export them. */
export const emailLoader = (args: LoaderFunctionArgs) => contactLoader("email", args);
export const emailAction = (args: ActionFunctionArgs) => contactAction("email", args);
export const phoneLoader = (args: LoaderFunctionArgs) => contactLoader("phone", args);
export const phoneAction = (args: ActionFunctionArgs) => contactAction("phone", args);
