import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { acceptLink, inspectLink } from "~/recovery/flows.server";
import { DeadEnd } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Reset your password | Account recovery" }];

const STATUS_CODE = { expired: 410, used: 410, invalid: 404, throttled: 429 } as const;

/**
 * Opening the link (GET or HEAD) changes nothing: mail scanners can fetch it freely (TOK-10).
 * Only the Continue button's POST moves this browser on, to a URL without the token (TOK-11).
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const status = await inspectLink(context, "reset", params.token ?? "");
  if (status !== "valid") return data({ status }, { status: STATUS_CODE[status] });
  return { status };
}

export async function action({ params, context }: ActionFunctionArgs) {
  const outcome = await acceptLink(context, "reset", params.token ?? "");
  if (outcome.ok) throw redirect("/reset/password", { status: 303, headers: { "Set-Cookie": outcome.cookie } });
  return data({ status: outcome.status }, { status: STATUS_CODE[outcome.status] });
}

export default function ResetLanding() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const status = acted?.status ?? loaded.status;
  if (status !== "valid") return <DeadEnd status={status} startPath="/forgot-password" startLabel="Get a new link" />;
  return (
    <>
      <h1>Reset your password</h1>
      <p className="lead">Press Continue to choose a new password on this device.</p>
      <Form method="post">
        <button type="submit" className="button">
          Continue
        </button>
      </Form>
      <p className="hint">Didn't ask for this? Close this page: nothing changes.</p>
    </>
  );
}
