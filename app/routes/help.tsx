import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "Help | Account recovery" }];

export default function Help() {
  return (
    <>
      <h1>Help</h1>
      <h2>I didn't get an email</h2>
      <p>
        Check your spam or junk folder, and that you typed the address you used for this account. Messages usually arrive
        within a minute. You can ask for a new one after a short wait.
      </p>
      <h2>The link says it has expired</h2>
      <p>Links and codes last a short time and work once. Ask for a new one from the same page.</p>
      <h2>I can't use my email or phone any more</h2>
      <p>
        Our support team can check who you are and help you back in. <Link to="/assisted-recovery">Ask for help</Link>.
      </p>
      <h2>Someone else may be using my account</h2>
      <p>
        Use the "This wasn't me" link in any security email we sent you, or <Link to="/assisted-recovery">contact support</Link>.
      </p>
      <h2>We never ask for your password</h2>
      <p>No one from our team will ask for your password or a code by phone, chat or email.</p>
    </>
  );
}
