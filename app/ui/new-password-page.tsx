import { Form, Link, useNavigation } from "@remix-run/react";
import type { PolicySettings } from "~/accounts/password-policy";
import { Notice } from "./components";
import { NewPasswordFields } from "./new-password";

export type NewPasswordPageData = {
  username: string;
  email: string;
  appName: string;
  settings: PolicySettings;
  history: number;
  required: string | null;
};

export type NewPasswordAnswer = { fieldErrors?: { password?: string[]; confirm?: string[] } | null; suggestions?: string[] };

/** "Choose a new password": the rules up front, then the fields with their meter. */
export function NewPasswordPage({ l, a }: { l: NewPasswordPageData; a?: NewPasswordAnswer }) {
  const navigation = useNavigation();
  return (
    <>
      <h1>Choose a new password</h1>
      {l.required === "reported" ? (
        <Notice kind="warning" title="Choose a new password to continue">
          <p>After the report that someone else used your account, your old password can't be used to sign in any more.</p>
        </Notice>
      ) : l.required === "too_short" ? (
        <Notice kind="warning" title="Choose a new password to continue">
          <p>Your password was short enough only while your account had a second sign-in step. Without one, it needs at least {l.settings.minLength} characters.</p>
        </Notice>
      ) : null}
      {a?.fieldErrors ? (
        <Notice kind="error" title="That password can't be used">
          <p>See the reason below the box.</p>
        </Notice>
      ) : null}
      <h2>Your new password</h2>
      <ul className="rules">
        <li>At least {l.settings.minLength} characters. Spaces, symbols and any language are welcome; there are no other rules.</li>
        <li>Not a common password, and not your username, email address or {l.appName}.</li>
        {l.history > 0 ? <li>Not one of your last {l.history} passwords.</li> : null}
        <li>Tip: three or four unrelated words make a strong password you can remember.</li>
      </ul>
      <Form method="post" noValidate>
        {/* Lets password managers save the new password against the right account. */}
        <input type="text" name="username" autoComplete="username" defaultValue={l.username} hidden readOnly />
        <NewPasswordFields
          settings={l.settings}
          context={{ username: l.username, email: l.email, appName: l.appName }}
          errors={a?.fieldErrors}
          suggestions={a?.suggestions}
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Set new password
        </button>
      </Form>
      <p>
        <Link to="/assisted-recovery">Need help?</Link>
      </p>
    </>
  );
}
