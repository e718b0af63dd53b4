import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { LoginPage, loginSchema } from "~/ui/login-page";
import { isBot, readForm } from "~/http/forms.server";
import { getUserSession, signInCookies } from "~/sign-in/auth.server";
import { pendingSignInCookie } from "~/sign-in/pending.server";
import { signIn, type SignInOutcome } from "~/sign-in/sign-in.server";
import { signInRefusal } from "~/sign-in/messages";
import { keepRetryAfter } from "~/http/responses.server";
import { requirePasswordChange } from "~/recovery/reset.server";
import { postSignInPath, withNext } from "~/sign-in/next";
import { titleMeta } from "~/ui/recovery";
import { fixedT } from "~/i18n/instance";

/** Keeps Retry-After on a delayed sign-in (RL-02). */
export const headers = keepRetryAfter;

export const meta = titleMeta("ui:login.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  if (await getUserSession(request, context)) throw redirect(postSignInPath(url.searchParams.get("next")) ?? "/account");
  return { notice: url.searchParams.get("notice") === "password-changed" ? "password-changed" : null };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  // Where to continue after sign-in (issue 15): only an allow-listed local path (app/sign-in/next.ts).
  const next = postSignInPath(new URL(request.url).searchParams.get("next"));
  const submission = parseWithZod(form, { schema: loginSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  // A bot that filled the honeypot gets the ordinary refusal and nothing is checked or counted.
  const outcome: SignInOutcome = isBot(form) ? { ok: false, reason: "failed" } : await signIn(context, submission.value.identifier, submission.value.password);
  if (!outcome.ok) {
    const refusal = signInRefusal(outcome, fixedT(context.locale));
    return data(
      { result: submission.reply({ formErrors: [refusal.message], hideFields: ["password"] }) },
      { status: refusal.status, headers: refusal.retryAfter ? { "Retry-After": String(refusal.retryAfter) } : undefined },
    );
  }
  if (!outcome.needsSecondFactor && outcome.changePassword) {
    const forced = await requirePasswordChange(context, outcome.user, outcome.changePassword);
    throw redirect(`/reset/password?required=${forced.reason}`, { status: 303, headers: { "Set-Cookie": forced.cookie } });
  }
  if (outcome.needsSecondFactor) {
    throw redirect(withNext("/login/verify", next), { status: 303, headers: { "Set-Cookie": pendingSignInCookie(context, outcome.user) } });
  }
  const headers = new Headers();
  for (const cookie of await signInCookies(request, context, outcome.user)) headers.append("Set-Cookie", cookie);
  throw redirect(next ?? "/account", { headers });
}

export default function Login() {
  return <LoginPage lastResult={useActionData<typeof action>()?.result} />;
}
