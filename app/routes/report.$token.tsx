import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { acceptReport, inspectReport } from "~/tickets/report.server";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Secure your account | Account recovery" }];

const STATUS = { used: 410, expired: 410, invalid: 404, throttled: 429 } as const;

export async function loader({ params, context }: LoaderFunctionArgs) {
  const status = await inspectReport(context, params.token ?? "");
  return data({ status }, { status: status === "valid" ? 200 : STATUS[status] });
}

export async function action({ params, context }: ActionFunctionArgs) {
  const outcome = await acceptReport(context, params.token ?? "");
  if (!outcome.ok) return data({ status: outcome.status, reference: null, slaHours: null }, { status: STATUS[outcome.status] });
  // An explicit 200: otherwise the loader, re-run after the action, sees the link as used and the
  // page that confirms success goes out as a 410.
  return data({ status: "done" as const, reference: outcome.reference, slaHours: outcome.slaHours }, { status: 200 });
}

export default function Report() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const status = a?.status ?? l.status;
  if (status === "done" && a?.reference) {
    return (
      <>
        <h1>We've secured your account</h1>
        <Notice kind="success">
          <p>
            We locked the account, signed it out everywhere and stopped every recovery request. Your reference is{" "}
            <strong>{a.reference}</strong>.
          </p>
        </Notice>
        <h2>What happens next</h2>
        <ol className="tips">
          <li>Our support team will contact you within {a.slaHours} hours at the email address on the account.</li>
          <li>They'll check it's you, then help you back in with a new password. Only they can lift this lock.</li>
          <li>Meanwhile, change the password of your email account too, and of any account that used the same password.</li>
        </ol>
      </>
    );
  }
  if (status !== "valid") {
    return (
      <>
        <h1>{status === "used" ? "This link was already used" : status === "throttled" ? "Too many attempts" : "This link isn't valid"}</h1>
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
        <li>sign it out on every device and stop every recovery request,</li>
        <li>and open an urgent request with our support team, who will help you back in.</li>
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
