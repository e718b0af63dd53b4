import { Form, Link, useNavigation } from "@remix-run/react";
import { Field, Honeypot, Notice } from "./components";

/** Pages shared by the reset and unlock flows, so both look and behave the same. */

export function RequestForm(props: {
  heading: string;
  intro: string;
  defaultValue?: string;
  errors?: string[] | null;
  submitLabel: string;
}) {
  const navigation = useNavigation();
  return (
    <>
      <h1>{props.heading}</h1>
      <p className="lead">{props.intro}</p>
      <Form method="post" noValidate>
        <Honeypot />
        <Field
          label="Username, email or phone number"
          name="identifier"
          defaultValue={props.defaultValue}
          errors={props.errors}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={320}
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {props.submitLabel}
        </button>
      </Form>
      <p>
        <Link to="/forgot-username">Forgot your username?</Link> ·{" "}
        <Link to="/assisted-recovery">Can't use your email or phone?</Link>
      </p>
    </>
  );
}

export type CodePageMessage = { kind: "info" | "success" | "warning" | "error"; text: string; offerNew?: boolean };

export function CodeForm(props: {
  heading: string;
  via: "email" | "phone";
  linkMinutes: number;
  codeMinutes: number;
  message?: CodePageMessage | null;
  codeErrors?: string[] | null;
  startPath: string;
}) {
  const navigation = useNavigation();
  return (
    <>
      <h1>{props.heading}</h1>
      <Notice kind="info">
        <p>
          {props.via === "phone"
            ? "If an account has this verified phone number, we've sent a code to it by text message."
            : "If an account matches, we've sent a link and a code to its email address."}
        </p>
      </Notice>
      {props.message ? (
        <Notice kind={props.message.kind}>
          <p>{props.message.text}</p>
          {props.message.offerNew ? (
            <p>
              <Link to={props.startPath}>Start again</Link> or <Link to="/assisted-recovery">ask our support team</Link>.
            </p>
          ) : null}
        </Notice>
      ) : null}
      <p>{props.via === "phone" ? "Type the code here." : "Open the link on any device, or type the code here."}</p>
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="verify" />
        <Field
          label="Code"
          name="code"
          hint={props.via === "phone" ? "6 digits, from the text message we just sent" : "6 digits, from the email we just sent"}
          errors={props.codeErrors}
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={12}
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Continue
        </button>
      </Form>
      <Form method="post" className="actions">
        <input type="hidden" name="intent" value="resend" />
        <span>Nothing arrived?</span>
        <button type="submit" className="button button-secondary">
          Resend
        </button>
      </Form>
      {props.via === "email" ? (
        <Form method="post" className="actions">
          <input type="hidden" name="intent" value="sms" />
          <span>Can't get to your email?</span>
          <button type="submit" className="button button-secondary">
            Text me a code instead
          </button>
        </Form>
      ) : null}
      {props.via === "email" ? (
        <p className="hint">
          Text messages can be intercepted (for example by SIM swap); email, a passkey or an authenticator app are safer.
        </p>
      ) : null}
      <h2>Tips</h2>
      <ul className="tips">
        <li>
          {props.via === "phone"
            ? "Text messages usually arrive within a minute. Check the number you typed."
            : "Check your spam or junk folder. Messages usually arrive within a minute."}
        </li>
        <li>
          {props.via === "phone"
            ? `The code works for ${props.codeMinutes} minutes, once. A new one replaces the old.`
            : `The link works for ${props.linkMinutes} minutes and the code for ${props.codeMinutes} minutes. Each works once, and a new one replaces the old.`}
        </li>
        <li>You can wait a minute between resends.</li>
        <li>
          No longer use that email address? <Link to="/assisted-recovery">Ask our support team</Link>.
        </li>
      </ul>
    </>
  );
}

const DEAD_END_TEXT = {
  expired: { title: "This link has expired", text: "Links work for a short time only, to keep your account safe." },
  used: {
    title: "This link was already used",
    text: "Each link works once, and a newer request replaces older links. Use the newest email, or ask for a new link.",
  },
  invalid: { title: "This link isn't valid", text: "It may be incomplete: try copying the whole link from the email, or ask for a new one." },
  throttled: { title: "Too many attempts", text: "Too many links were tried from your network. Wait a few minutes and try again." },
} as const;

export function DeadEnd(props: { status: keyof typeof DEAD_END_TEXT; startPath: string; startLabel: string }) {
  const copy = DEAD_END_TEXT[props.status];
  return (
    <>
      <h1>{copy.title}</h1>
      <p>{copy.text}</p>
      <p className="actions">
        <Link className="button" to={props.startPath}>
          {props.startLabel}
        </Link>
      </p>
      <p>
        Still stuck? <Link to="/assisted-recovery">Ask our support team for help</Link>.
      </p>
    </>
  );
}

/** The page a link opens: nothing happens until Continue is pressed (scanner-safe). */
export function LinkLanding(props: { heading: string; text: string }) {
  return (
    <>
      <h1>{props.heading}</h1>
      <p className="lead">{props.text}</p>
      <Form method="post">
        <button type="submit" className="button">
          Continue
        </button>
      </Form>
      <p className="hint">Didn't ask for this? Close this page: nothing changes.</p>
    </>
  );
}
