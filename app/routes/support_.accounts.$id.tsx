import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireStaff } from "~/support/staff-auth.server";
import { accountView, consoleLift, consoleLock } from "~/support/account-view.server";
import { accountActionMessage } from "~/support/approval-messages";
import { AccountViewPage } from "~/ui/account-view-page";

export const meta: MetaFunction = () => [{ title: "Account | Support console" }];

/** The console's account view (any staff; issue 14). `?ticket=` names the ticket it was opened from. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const view = await accountView(context, staff, params.id ?? "", new URL(request.url).searchParams.get("ticket"));
  if (!view) throw data("No such account.", { status: 404 });
  return view;
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const form = await readForm(request);
  const field = (name: string, max = 4000) => String(form.get(name) ?? "").slice(0, max);
  const intent = field("intent", 20);
  if (intent === "lock") {
    const outcome = await consoleLock(context, staff, params.id ?? "", field("note"));
    const { status, message } = accountActionMessage(outcome, "lock");
    return data({ ok: outcome.ok, message }, { status });
  }
  if (intent === "lift") {
    const outcome = await consoleLift(context, staff, params.id ?? "", { lockId: field("lockId", 64), note: field("note"), ticketId: field("ticket", 64) || null });
    const { status, message } = accountActionMessage(outcome, "lift");
    return data({ ok: outcome.ok, message }, { status });
  }
  return data({ ok: false, message: "Choose an action." }, { status: 400 });
}

export default function AccountView() {
  return <AccountViewPage d={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
