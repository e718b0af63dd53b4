import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/ui/components";
import { readDone } from "~/recovery/feedback.server";
import { DoneFeedback, NextTimePanel } from "~/ui/feedback";

export const meta: MetaFunction = () => [{ title: "Account unlocked | Account recovery" }];

/** Only the browser that finished this unlock has the signed cookie that fills the panel and the form. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return readDone(context, request, "unlock");
}

export default function UnlockDone() {
  const done = useLoaderData<typeof loader>();
  return (
    <>
      <h1>You can sign in again</h1>
      <Notice kind="success">
        <p>Your account is unlocked. We've emailed you to confirm.</p>
      </Notice>
      <p className="actions">
        <Link className="button" to="/login">
          Sign in
        </Link>
      </p>
      <p>
        Don't remember the password? <Link to="/forgot-password">Reset it</Link>.
      </p>
      <NextTimePanel items={done.missing} />
      <DoneFeedback feedback={done.feedback} />
    </>
  );
}
