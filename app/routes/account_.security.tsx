import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireRecentUser } from "~/sign-in/auth.server";
import { disableTotp, factorSummary, regenerateRecoveryCodes, removePasskey } from "~/factors/factors.server";
import { isSecurityIntent, securityAnswer, UNKNOWN_SECURITY_INTENT } from "~/factors/messages";
import { SecurityPage } from "~/ui/security-page";

export const meta: MetaFunction = () => [{ title: "Sign-in protection | Account recovery" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireRecentUser(request, context);
  const url = new URL(request.url);
  const left = url.searchParams.get("codes-left");
  return {
    ...(await factorSummary(context.services.db, user.id)),
    added: url.searchParams.get("added") === "passkey",
    codesLeftWarning: left !== null && /^\d+$/.test(left) ? Number(left) : null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireRecentUser(request, context);
  const form = await readForm(request);
  const intent = form.get("intent");
  if (!isSecurityIntent(intent)) throw data(UNKNOWN_SECURITY_INTENT, { status: 400 });
  let codes: string[] | null = null;
  let ok: boolean;
  if (intent === "remove-passkey") ok = await removePasskey(context, user, String(form.get("id") ?? ""), session.id);
  else if (intent === "disable-totp") ok = await disableTotp(context, user, String(form.get("code") ?? "").slice(0, 64), session.id);
  else {
    codes = await regenerateRecoveryCodes(context, user, session.id);
    ok = codes !== null;
  }
  const { message, status } = securityAnswer(intent, ok);
  return data({ message, codes }, { status });
}

export default function Security() {
  return <SecurityPage l={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
