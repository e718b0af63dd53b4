import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { acceptStaffInvite, openStaffInvite } from "~/support/staff.server";
import { Field, FormError } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Set up your staff account | Support console" }];

const INVALID = "This set-up link has expired or was already used. Ask an admin to invite you again.";
const TOO_MANY = "Too many attempts. Wait a few minutes and try again.";

/**
 * A new staff member's one-time set-up link (issue 14), from an admin's invitation. Opening it
 * changes nothing (mail scanners open links); choosing a password spends it. The authenticator
 * app is set up at the first sign-in, as for every staff member.
 */
async function invited(params: LoaderFunctionArgs["params"], context: LoaderFunctionArgs["context"]) {
  const opened = await openStaffInvite(context, params.token ?? "");
  if (!opened) throw data(TOO_MANY, { status: 429, headers: { "Retry-After": "900" } });
  if (!opened.staff) throw data(INVALID, { status: 410 });
  return opened.staff;
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const staff = await invited(params, context);
  return { email: staff.email, name: staff.name, minLength: context.services.config.password.minLength };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const staff = await invited(params, context);
  const form = await readForm(request);
  const password = String(form.get("password") ?? "").slice(0, 1024);
  if (password !== String(form.get("confirm") ?? "").slice(0, 1024)) return data({ error: "The two passwords don't match." }, { status: 400 });
  const outcome = await acceptStaffInvite(context, staff, params.token ?? "", password);
  if (outcome.ok) throw redirect("/support/login", 303);
  if (outcome.reason === "weak") return data({ error: outcome.message }, { status: 400 });
  throw data(INVALID, { status: 410 });
}

export default function StaffInvite() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>Set up your staff account</h1>
      <p className="lead">
        Welcome, {d.name} ({d.email}). Choose a password for the support console. Next you sign in and set up an authenticator app: staff
        always sign in with both.
      </p>
      <FormError message={a?.error} />
      <Form method="post">
        <input type="text" name="username" autoComplete="username" value={d.email} readOnly hidden />
        <Field label="New password" name="password" type="password" autoComplete="new-password" hint={`At least ${d.minLength} characters. A few unrelated words work well.`} required />
        <Field label="Confirm new password" name="confirm" type="password" autoComplete="new-password" required />
        <button type="submit" className="button">
          Save password
        </button>
      </Form>
    </>
  );
}
