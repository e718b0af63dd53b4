import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Password changed | Account recovery" }];

/** No automatic sign-in after a reset (SES-01): the customer signs in with the new password. */
export default function ResetDone() {
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
    </>
  );
}
