import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Check your messages | Account recovery" }];

/** The same page for every request (AR-01): usernames are only ever in the message. */
export default function UsernameSent() {
  return (
    <>
      <h1>Check your messages</h1>
      <Notice kind="info">
        <p>If any accounts use this, we've sent their usernames to it.</p>
      </Notice>
      <ul className="tips">
        <li>Check your spam or junk folder. Messages usually arrive within a minute.</li>
        <li>Nothing arrived? You may have used a different email address or phone number.</li>
      </ul>
      <p className="actions">
        <Link className="button" to="/login">
          Sign in
        </Link>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        Can't use your email or phone? <Link to="/assisted-recovery">Ask our support team</Link>.
      </p>
    </>
  );
}
