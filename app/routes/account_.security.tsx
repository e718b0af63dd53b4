import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireRecentUser } from "~/sign-in/auth.server";
import { disableTotp, factorSummary, regenerateRecoveryCodes, removePasskey } from "~/factors/factors.server";
import { isSecurityIntent, securityAnswer } from "~/factors/messages";
import { metaT } from "~/i18n/meta";
import { SecurityPage } from "~/ui/security-page";
import { AccountSecuritySections } from "~/ui/account-security";
import { accountSecurity, setNewDeviceNoticesFor, signOutDevice, signOutOtherDevices } from "~/settings/account-security.server";
import { reportActivity } from "~/tickets/self-report.server";
import type { User } from "~/accounts/accounts.server";
import type { Session } from "~/sessions/sessions.server";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.security") }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, session } = await requireRecentUser(request, context);
  const url = new URL(request.url);
  const left = url.searchParams.get("codes-left");
  return {
    ...(await factorSummary(context.services.db, user.id)),
    added: url.searchParams.get("added") === "passkey",
    codesLeftWarning: left !== null && /^\d+$/.test(left) ? Number(left) : null,
    account: await accountSecurity(context, user, session, url.searchParams.get("done")),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireRecentUser(request, context);
  const form = await readForm(request);
  const intent = form.get("intent");
  if (typeof intent === "string" && intent in ACCOUNT_INTENTS) return ACCOUNT_INTENTS[intent](context, user, session, form);
  if (!isSecurityIntent(intent)) throw data("account:errors.unknownIntent", { status: 400 });
  let codes: string[] | null = null;
  let ok: boolean;
  if (intent === "remove-passkey") ok = await removePasskey(context, user, String(form.get("id") ?? ""), session.id);
  else if (intent === "disable-totp") ok = await disableTotp(context, user, String(form.get("code") ?? "").slice(0, 64), session.id);
  else {
    codes = await regenerateRecoveryCodes(context, user, session.id);
    ok = codes !== null;
  }
  const { status } = securityAnswer(intent, ok);
  // The page says it in its language: a catalogue key per button and outcome.
  return data({ message: `account:answers.${intent}.${ok ? "done" : "refused"}`, codes }, { status });
}

type AccountIntent = (context: ActionFunctionArgs["context"], user: User, session: Session, form: FormData) => Promise<never>;

/** The account security sections' buttons (issue 15); each answers with a redirect back here (or on). */
const ACCOUNT_INTENTS: Record<string, AccountIntent> = {
  /** "Sign out" on one other device: only this account's sessions can match the id. */
  "sign-out-device": async (context, user, session, form) => {
    const outcome = await signOutDevice(context, user, session, String(form.get("id") ?? "").slice(0, 64));
    if (outcome === "current") throw data("account:errors.currentDevice", { status: 400 });
    throw redirect(`/account/security?done=${outcome === "ended" ? "signed-out" : "not-found"}#devices-heading`, { status: 303 });
  },
  "sign-out-others": async (context, user, session) => {
    await signOutOtherDevices(context, user, session);
    throw redirect("/account/security?done=others#devices-heading", { status: 303 });
  },
  /** "This wasn't me" on an activity entry: secure the account, tell support, then change the password. */
  "report-activity": async (context, user, session, form) => {
    const seq = String(form.get("seq") ?? "");
    const outcome = /^\d{1,15}$/.test(seq) ? await reportActivity(context, user, session, Number(seq)) : ({ ok: false } as const);
    if (!outcome.ok) throw data("account:errors.noSuchEvent", { status: 404 });
    throw redirect(`/account/password?reported=${encodeURIComponent(outcome.reference)}`, { status: 303 });
  },
  "new-device-notices": async (context, user, _session, form) => {
    const value = form.get("newDeviceNotices");
    if (value !== "on" && value !== "off") throw data("account:errors.onOrOff", { status: 400 });
    await setNewDeviceNoticesFor(context, user, value === "on");
    throw redirect(`/account/security?done=notices-${value}#notices-heading`, { status: 303 });
  },
};

export default function Security() {
  const l = useLoaderData<typeof loader>();
  return (
    <>
      <SecurityPage l={l} a={useActionData<typeof action>()} />
      <AccountSecuritySections l={l.account} />
    </>
  );
}
