import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireStaff } from "~/support/staff-auth.server";
import { staffOverview, unlockColleague } from "~/support/staff-accounts.server";
import { colleagueUnlockMessage } from "~/support/messages";
import { StaffAccountsPage } from "~/ui/staff-accounts-page";

export const meta: MetaFunction = () => [{ title: "Staff accounts | Support console" }];

/**
 * Staff accounts (H2, L12): who is active, disabled or locked after wrong authenticator codes. A
 * locked staff member is unlocked here by ANOTHER staff member, with a note (what they checked),
 * or by an operator with `npm run portal -- staff unlock --email E`. Disabling is the CLI's.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff: me } = await requireStaff(request, context);
  return { me: me.id, ...(await staffOverview(context)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { staff: me } = await requireStaff(request, context);
  const form = await readForm(request);
  if (form.get("intent") !== "unlock") return data({ ok: false, message: "Choose an action." }, { status: 400 });
  const outcome = await unlockColleague(context, me, String(form.get("staffId") ?? ""), String(form.get("note") ?? "").trim().slice(0, 2000));
  const { status, message } = colleagueUnlockMessage(outcome);
  return data({ ok: outcome.ok, message }, { status });
}

export default function StaffAccounts() {
  return <StaffAccountsPage d={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
