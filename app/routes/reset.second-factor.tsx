import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { titleMeta } from "~/ui/recovery";
import { readForm } from "~/http/forms.server";
import { hasTotp, listPasskeys } from "~/factors/factors.server";
import { factorRefusal } from "~/factors/messages";
import { proveTypedFactor, requireHold } from "~/recovery/journey.server";
import { HOLD_REFUSAL } from "~/recovery/messages";
import { SecondFactorForms } from "~/ui/second-factor";

export const meta = titleMeta("recovery:factor.title");

/** After the email or SMS step, an account with stronger factors must use one (MFA-01, MFA-02). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const check = await requireHold(context, request, "reset", "second-factor");
  if (!check.ok) throw redirect("/reset/password");
  const { db } = context.services;
  return { hasTotp: await hasTotp(db, check.hold.user.id), hasPasskey: (await listPasskeys(db, check.hold.user.id)).length > 0 };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const check = await requireHold(context, request, "reset", "second-factor");
  if (!check.ok) throw data(HOLD_REFUSAL.reset, { status: 403 });
  const form = await readForm(request);
  const outcome = await proveTypedFactor(context, check.hold, { intent: String(form.get("intent") ?? ""), value: String(form.get("value") ?? "") });
  if (!outcome.ok) return data({ error: factorRefusal(outcome) }, { status: 400 });
  throw redirect("/reset/password", { status: 303 });
}

export default function ResetSecondFactor() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("recovery:factor.title")}</h1>
      <p className="lead">{t("recovery:factor.lead")}</p>
      <SecondFactorForms use="reset-factor" hasTotp={l.hasTotp} hasPasskey={l.hasPasskey} error={a?.error} />
    </>
  );
}
