import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { proveNewContact } from "~/support/new-contact.server";
import { Field, Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Confirm your new contact | Account recovery" }];

const WRONG = "That reference and code don't match a waiting change, or the code has expired. Check both and try again.";
const THROTTLED = "Too many attempts from your network. Wait a few minutes and try again.";

/**
 * Issue 14: support replaced a lost email address or phone number for a ticket; the customer types
 * the ticket reference and the code sent to the new contact, which is saved only then. One answer
 * for a wrong reference and a wrong code.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const outcome = await proveNewContact(context, String(form.get("reference") ?? ""), String(form.get("code") ?? ""));
  if (outcome.ok) return data({ ok: true as const, kind: outcome.kind, message: "" });
  return outcome.reason === "throttled"
    ? data({ ok: false as const, kind: null, message: THROTTLED }, { status: 429 })
    : data({ ok: false as const, kind: null, message: WRONG }, { status: 400 });
}

export default function NewContact() {
  const a = useActionData<typeof action>();
  if (a?.ok) {
    return (
      <>
        <h1>Your new contact is saved</h1>
        <Notice kind="success">
          <p>
            Your new {a.kind === "email" ? "email address" : "phone number"} is confirmed and saved on your account. We told your old and your new
            contact about the change.
          </p>
        </Notice>
        <p>
          <Link to="/forgot-password">Reset your password</Link> · <Link to="/login">Sign in</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Confirm your new contact</h1>
      <p className="lead">
        Our support team sent a code to the new email address or phone number you asked for. Type your ticket reference and that code. Your
        account keeps its old contact until you do.
      </p>
      {a && !a.ok ? (
        <Notice kind="error">
          <p>{a.message}</p>
        </Notice>
      ) : null}
      <Form method="post">
        <Field label="Ticket reference" name="reference" hint="It looks like AR-XXXX-XXXX." autoComplete="off" autoCapitalize="characters" maxLength={32} required />
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={12} required />
        <button type="submit" className="button">
          Confirm
        </button>
      </Form>
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}
