import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Account unlocked | Account recovery" }];

export default function UnlockDone() {
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
    </>
  );
}
