import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { confirmContact } from "~/tickets/tickets.server";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Confirm your email address | Account recovery" }];

const STATUS = { confirmed: 200, invalid: 404, expired: 410, throttled: 429 } as const;

/** Opening the link changes nothing; the button confirms (scanner-safe, like every link here). */
export async function action({ params, context }: ActionFunctionArgs) {
  const outcome = await confirmContact(context, params.token ?? "");
  return data({ ok: outcome === "confirmed", outcome }, { status: STATUS[outcome] });
}

export default function ConfirmContact() {
  const a = useActionData<typeof action>();
  if (a?.ok) {
    return (
      <>
        <h1>Thank you</h1>
        <Notice kind="success">
          <p>Your email address is confirmed. Our support team will contact you there.</p>
        </Notice>
      </>
    );
  }
  return (
    <>
      <h1>Confirm your email address</h1>
      {a && !a.ok ? (
        <Notice kind="error">
          <p>
            {a.outcome === "expired"
              ? "This link has expired: confirm links work for 7 days. Our support team will still answer your request; if you need to, send the form again."
              : a.outcome === "throttled"
                ? "Too many attempts from your network. Wait a few minutes and try the link again."
                : "This link isn't valid or was already used."}
          </p>
        </Notice>
      ) : (
        <p className="lead">Press Confirm so our support team knows they can reach you at this address.</p>
      )}
      {a ? null : (
        <Form method="post">
          <button type="submit" className="button">
            Confirm
          </button>
        </Form>
      )}
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}
