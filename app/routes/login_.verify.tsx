import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { hasTotp, listPasskeys } from "~/factors/factors.server";
import { checkTypedFactor } from "~/factors/second-step.server";
import { factorRefusal } from "~/factors/messages";
import { clearPendingSignIn, pendingSignInUser } from "~/sign-in/pending.server";
import { signInCookies } from "~/sign-in/auth.server";
import { passwordChangeDue } from "~/accounts/access.server";
import { requirePasswordChange } from "~/recovery/reset.server";
import { recordEvent } from "~/audit/events.server";
import { SecondFactorForms } from "~/ui/second-factor";
import { postSignInPath } from "~/sign-in/next";
import { titleMeta } from "~/ui/recovery";
import { useTranslation } from "react-i18next";

export const meta = titleMeta("ui:login.verifyTitle");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await pendingSignInUser(request, context);
  if (!user) throw redirect("/login");
  const { db } = context.services;
  return { hasTotp: await hasTotp(db, user.id), hasPasskey: (await listPasskeys(db, user.id)).length > 0 };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await pendingSignInUser(request, context);
  if (!user) throw redirect("/login");
  const form = await readForm(request);
  const outcome = await checkTypedFactor(context, user, String(form.get("intent") ?? ""), String(form.get("value") ?? ""));
  if (!outcome.ok) return data({ error: factorRefusal(outcome) }, { status: 400 });
  // A lock may have landed while the code was being typed: ask again at the last moment (L11).
  if (!(await pendingSignInUser(request, context))) throw redirect("/login", { headers: { "Set-Cookie": clearPendingSignIn(context) } });
  const change = passwordChangeDue(context.services.config, user, null, true);
  if (change) {
    const forced = await requirePasswordChange(context, user, change);
    const headers = new Headers([["Set-Cookie", forced.cookie]]);
    headers.append("Set-Cookie", clearPendingSignIn(context));
    throw redirect(`/reset/password?required=${forced.reason}`, { status: 303, headers });
  }
  await recordEvent(context, { event: "sign_in", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { method: "second_factor" } });
  const headers = new Headers();
  for (const cookie of await signInCookies(request, context, user)) headers.append("Set-Cookie", cookie);
  headers.append("Set-Cookie", clearPendingSignIn(context));
  const wanted = postSignInPath(new URL(request.url).searchParams.get("next"));
  const next = outcome.recoveryCodesLeft === null ? (wanted ?? "/account") : `/account/security?codes-left=${outcome.recoveryCodesLeft}`;
  throw redirect(next, { status: 303, headers });
}

export default function LoginVerify() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("ui:login.verifyTitle")}</h1>
      <p className="lead">{t("ui:login.verifyLead")}</p>
      <SecondFactorForms use="login-factor" hasTotp={l.hasTotp} hasPasskey={l.hasPasskey} error={a?.error} />
    </>
  );
}
