import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/ui/components";
import { requireUser } from "~/sign-in/auth.server";

export const meta: MetaFunction = () => [{ title: "Your account | Account recovery" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, session } = await requireUser(request, context);
  const changed = new URL(request.url).searchParams.get("changed");
  return {
    changed: changed === "email" || changed === "phone" ? changed : null,
    username: user.username,
    email: user.email,
    emailVerified: user.email_verified === 1,
    phone: user.phone,
    phoneVerified: user.phone_verified === 1,
    passwordChangedAt: user.password_changed_at ? new Date(user.password_changed_at).toISOString() : null,
    signedInAt: new Date(session.authenticated_at).toISOString(),
  };
}

export default function Account() {
  const a = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Your account</h1>
      <p className="lead">
        Signed in as <strong data-testid="username">{a.username}</strong>
      </p>
      {a.changed ? (
        <Notice kind="success">
          <p>Your {a.changed === "email" ? "email address" : "phone number"} was changed and confirmed. We told your old and new contacts.</p>
        </Notice>
      ) : null}
      <h2>Contact details</h2>
      <dl className="details">
        <dt>Email</dt>
        <dd>
          {a.email} {a.emailVerified ? <span className="badge">verified</span> : <span className="badge badge-warn">not verified</span>}{" "}
          <Link to="/account/email">Change email</Link>
        </dd>
        <dt>Phone</dt>
        <dd>
          {a.phone ? (
            <>
              {a.phone} {a.phoneVerified ? <span className="badge">verified</span> : <span className="badge badge-warn">not verified</span>}
            </>
          ) : (
            "None"
          )}{" "}
          <Link to="/account/phone">{a.phone ? "Change phone" : "Add a phone number"}</Link>
        </dd>
        <dt>Password last changed</dt>
        <dd>{a.passwordChangedAt ? <time dateTime={a.passwordChangedAt}>{a.passwordChangedAt.slice(0, 10)}</time> : "Never set"}</dd>
      </dl>
      <h2>Sign-in protection</h2>
      <p>
        <Link to="/account/security">Account security: recent activity, devices, password, passkeys, authenticator app and recovery codes</Link>
      </p>
      <Form method="post" action="/logout">
        <button type="submit" className="button button-secondary">
          Sign out
        </button>
      </Form>
    </>
  );
}
