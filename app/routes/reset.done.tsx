import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/ui/components";
import { readDone } from "~/recovery/feedback.server";
import { DoneFeedback, NextTimePanel } from "~/ui/feedback";

export const meta: MetaFunction = () => [{ title: "Password changed | Account recovery" }];

/** No automatic sign-in after a reset (SES-01): the customer signs in with the new password. */
/** Only the browser that finished this reset has the signed cookie that fills the panel and the form. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return readDone(context, request, "reset");
}

export default function ResetDone() {
  const done = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Your password was changed</h1>
      <Notice kind="success">
        <p>We signed your account out on every other device and browser.</p>
      </Notice>
      <p>We also emailed you to confirm the change. If you didn't do this, use the “This wasn't me” link in that email.</p>
      <p className="actions">
        <Link className="button" to="/login">
          Sign in
        </Link>
      </p>
      <NextTimePanel items={done.missing} />
      <DoneFeedback feedback={done.feedback} />
    </>
  );
}
