import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Field, Notice } from "./components";

/** The two steps of a contact change: type the new value, then the code sent to it. */
export function ContactChange(props: {
  kind: "email" | "phone";
  current: string | null;
  pending: string | null;
  error?: string | null;
  codeError?: string | null;
}) {
  const what = props.kind === "email" ? "email address" : "phone number";
  return (
    <>
      <h1>{props.current ? `Change your ${what}` : `Add a ${what}`}</h1>
      {props.current ? <p className="lead">Now: {props.current}</p> : null}
      {props.pending ? (
        <>
          <Notice kind="info">
            <p>
              We sent a code to {props.pending}. Type it here to confirm the new {what}.
            </p>
          </Notice>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="verify" />
            <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={12} errors={props.codeError ? [props.codeError] : null} required />
            <button type="submit" className="button">
              Confirm
            </button>
          </Form>
          <h2>Wrong {what}?</h2>
        </>
      ) : null}
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="start" />
        <Field
          label={props.kind === "email" ? "New email address" : "New phone number"}
          name="value"
          type={props.kind === "email" ? "email" : "tel"}
          autoComplete={props.kind === "email" ? "email" : "tel"}
          maxLength={320}
          errors={props.error ? [props.error] : null}
          required
        />
        <button type="submit" className={props.pending ? "button button-secondary" : "button"}>
          Send a code
        </button>
      </Form>
      {props.kind === "phone" ? (
        <p className="hint">We use your phone only to send codes. Text messages are less safe than email or an authenticator app.</p>
      ) : null}
      <p>
        <Link to="/account">Back to your account</Link>
      </p>
    </>
  );
}

/** The page for one kind of contact, fed by its route's loader and action. */
export function contactPage(kind: "email" | "phone") {
  return function ContactChangePage() {
    const l = useLoaderData<{ current: string | null; pending: string | null }>();
    const a = useActionData<{ error: string | null; codeError: string | null }>();
    return <ContactChange kind={kind} current={l.current} pending={l.pending} error={a?.error} codeError={a?.codeError} />;
  };
}
