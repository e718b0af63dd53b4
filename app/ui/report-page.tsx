import { Form, Link } from "@remix-run/react";
import { Notice } from "./components";

type ReportContact = { channel: "email" | "sms"; address: string; accountEmail: string | null };
type ContactKind = "email" | "phone";

export type ReportPageData = {
  status: "valid" | "used" | "expired" | "invalid" | "throttled";
  contact: ReportContact | null;
  restores: ContactKind | null;
};

export type ReportPageAnswer = {
  status: "done" | "used" | "expired" | "invalid" | "throttled";
  reference: string | null;
  slaHours: number | null;
  contact: ReportContact | null;
  restored: { kind: ContactKind; value: string } | null;
};

/** Where support will write: the address (or phone) this very link was sent to. */
function WhereWeWrite({ contact }: { contact: ReportContact }) {
  if (contact.channel === "sms") {
    return (
      <>
        at <strong>{contact.address}</strong>, the phone number this link was texted to
        {contact.accountEmail ? (
          <>
            {" "}
            (and by email at <strong>{contact.accountEmail}</strong>, the address on the account)
          </>
        ) : null}
      </>
    );
  }
  return (
    <>
      at <strong>{contact.address}</strong>, the email address this link was sent to
    </>
  );
}

/** "This wasn't me": what pressing the button will do, what it did, or why the link no longer works. */
export function ReportPage({ l, a }: { l: ReportPageData; a?: ReportPageAnswer }) {
  const status = a?.status ?? l.status;
  if (status === "done" && a?.reference && a.contact) {
    return (
      <>
        <h1>We've secured your account</h1>
        <Notice kind="success">
          <p>
            We locked the account, signed it out everywhere and stopped every recovery request. Your reference is{" "}
            <strong>{a.reference}</strong>.
          </p>
          {a.restored ? (
            <p>
              We undid the change: the account's {a.restored.kind === "email" ? "email address" : "phone number"} is{" "}
              <strong>{a.restored.value}</strong> again.
            </p>
          ) : null}
        </Notice>
        <h2>What happens next</h2>
        <ol className="tips">
          <li>
            Our support team will contact you within {a.slaHours} hours <WhereWeWrite contact={a.contact} />.
          </li>
          <li>
            They'll check it's you, then help you back in with a new password. Only they can lift this lock. Any passkey or
            authenticator app added in the last 7 days was removed.
          </li>
          <li>Meanwhile, change the password of your email account too, and of any account that used the same password.</li>
        </ol>
      </>
    );
  }
  if (status !== "valid" || !l.contact) {
    return (
      <>
        <h1>
          {status === "used"
            ? "This link was already used"
            : status === "throttled"
              ? "Too many attempts"
              : status === "expired"
                ? "This link has expired"
                : "This link isn't valid"}
        </h1>
        {status === "expired" ? <p>"This wasn't me" links work for 7 days.</p> : null}
        <p>
          If you still think someone else is using your account, <Link to="/assisted-recovery?reason=not-me">tell our support team</Link>.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>This wasn't you?</h1>
      <p className="lead">If you didn't make the change we told you about, we'll secure your account now:</p>
      <ul className="tips">
        <li>lock the account so nobody can sign in,</li>
        {l.restores ? <li>undo the change and put your previous {l.restores === "email" ? "email address" : "phone number"} back,</li> : null}
        <li>sign it out on every device and stop every recovery request,</li>
        <li>remove passkeys and authenticator apps added in the last 7 days,</li>
        <li>
          and open an urgent request with our support team, who will write to you <WhereWeWrite contact={l.contact} /> and help you back in.
        </li>
      </ul>
      <Form method="post">
        <button type="submit" className="button">
          Secure my account
        </button>
      </Form>
      <p className="hint">Pressed by mistake? Close this page: nothing changes until you press the button.</p>
    </>
  );
}
