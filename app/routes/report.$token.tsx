import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { acceptReport, previewReport, type ReportContact } from "~/tickets/report.server";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Secure your account | Account recovery" }];

const STATUS = { used: 410, expired: 410, invalid: 404, throttled: 429 } as const;

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { status, contact, restores } = await previewReport(context, params.token ?? "");
  return data({ status, contact, restores }, { status: status === "valid" ? 200 : STATUS[status] });
}

export async function action({ params, context }: ActionFunctionArgs) {
  const outcome = await acceptReport(context, params.token ?? "");
  if (!outcome.ok) return data({ status: outcome.status, reference: null, slaHours: null, contact: null, restored: null }, { status: STATUS[outcome.status] });
  // An explicit 200: otherwise the loader, re-run after the action, sees the link as used and the
  // page that confirms success goes out as a 410.
  return data(
    { status: "done" as const, reference: outcome.reference, slaHours: outcome.slaHours, contact: outcome.contact, restored: outcome.restored },
    { status: 200 },
  );
}

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

export default function Report() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
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
