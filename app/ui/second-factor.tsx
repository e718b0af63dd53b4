import { Form, Link } from "@remix-run/react";
import { Field, Notice } from "./components";
import { PasskeyButton } from "./passkey-button";

/** The choices for a second factor: passkey, authenticator code, or a saved recovery code. */
export function SecondFactorForms(props: {
  use: "login-factor" | "reset-factor";
  hasTotp: boolean;
  hasPasskey: boolean;
  error?: string | null;
}) {
  return (
    <>
      {props.error ? (
        <Notice kind="error">
          <p>{props.error}</p>
        </Notice>
      ) : null}
      {props.hasPasskey ? <PasskeyButton use={props.use} label="Use my passkey" className="button" /> : null}
      {props.hasTotp ? (
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="totp" />
          <Field label="Code" name="value" id="factor-code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} hint="6 digits from your authenticator app" required />
          <button type="submit" className="button">
            Continue
          </button>
        </Form>
      ) : null}
      <details className="more-ways">
        <summary>Use a recovery code instead</summary>
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="recovery" />
          <Field label="Recovery code" name="value" id="factor-recovery-code" autoComplete="off" autoCapitalize="none" spellCheck={false} maxLength={64} hint="One of the codes you saved, like abcde-fghjk-mnpqr-stuvw" required />
          <button type="submit" className="button button-secondary">
            Use recovery code
          </button>
        </Form>
      </details>
      <h2>Lost all of these?</h2>
      <p>
        Our support team can check who you are and help. <Link to="/assisted-recovery?reason=lost-factor">Ask for help with a lost phone or authenticator</Link>.
        Email alone can't remove these protections. <Link to="/help/lost-authenticator">What to do when you've lost them</Link>
      </p>
    </>
  );
}
