import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireStaffRole } from "~/support/staff-auth.server";
import { STAFF_INVITE_HOURS } from "~/support/staff.server";
import { changeColleague, inviteColleague, staffOverview, unlockColleague } from "~/support/staff-accounts.server";
import { colleagueUnlockMessage, staffChangeMessage } from "~/support/messages";
import { StaffAccountsPage } from "~/ui/staff-accounts-page";

export const meta: MetaFunction = () => [{ title: "Staff accounts | Support console" }];

const CHANGES = ["role", "disable", "enable", "reset_totp", "reinvite"] as const;

/**
 * Staff accounts (H2, L12; issue 14), for admins only (an agent or supervisor gets a 403 page):
 * each staff member's role and state. An admin changes another's role, disables (every session
 * ends at once) or enables them, resets their authenticator, or unlocks a colleague locked after
 * wrong authenticator codes, with a note (what they checked). Nobody changes themselves here; the
 * CLI (`staff role|disable|enable|unlock`) is the operator's way.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff: me } = await requireStaffRole(request, context, "admin");
  return { me: me.id, ...(await staffOverview(context)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { staff: me } = await requireStaffRole(request, context, "admin");
  const form = await readForm(request);
  const intent = form.get("intent");
  const change = CHANGES.find((c) => c === intent);
  if (change) {
    const outcome = await changeColleague(context, me, { action: change, targetId: String(form.get("staffId") ?? ""), role: String(form.get("role") ?? "") });
    const { status, message } = staffChangeMessage(outcome);
    return data({ ok: outcome.ok, message }, { status });
  }
  if (intent === "invite") {
    const field = (name: string) => String(form.get(name) ?? "").slice(0, 320);
    const outcome = await inviteColleague(context, me, { email: field("email"), name: field("name"), role: field("role") });
    return outcome.ok
      ? data({ ok: true, message: `Invitation sent to ${outcome.email}. The link works once, for ${STAFF_INVITE_HOURS} hours.` })
      : data({ ok: false, message: outcome.message }, { status: 400 });
  }
  if (intent !== "unlock") return data({ ok: false, message: "Choose an action." }, { status: 400 });
  const outcome = await unlockColleague(context, me, String(form.get("staffId") ?? ""), String(form.get("note") ?? "").trim().slice(0, 2000));
  const { status, message } = colleagueUnlockMessage(outcome);
  return data({ ok: outcome.ok, message }, { status });
}

export default function StaffAccounts() {
  return <StaffAccountsPage d={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
