import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { throttledResponse } from "~/http/responses.server";
import { submitTicket } from "~/tickets/submit.server";
import { ticketSchema } from "~/tickets/schemas";
import { Field, Honeypot, Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Get help from our support team | Account recovery" }];

const CHOICES = [
  ["lost_email", "I lost access to my email"],
  ["lost_factor", "I lost my phone or authenticator app"],
  ["locked", "My account is locked"],
  ["compromised", "Someone else is using my account"],
  ["other", "Something else"],
] as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const reason = new URL(request.url).searchParams.get("reason");
  const preset = reason === "not-me" ? "compromised" : reason === "lost-factor" ? "lost_factor" : reason === "locked" ? "locked" : null;
  return { preset };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: ticketSchema });
  if (submission.status !== "success") {
    return data({ errors: submission.error ?? {}, values: Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v).slice(0, 2000)])), done: null }, { status: 400 });
  }
  const outcome = await submitTicket(context, submission.value, { bot: isBot(form) });
  if (!outcome.ok) throw throttledResponse(outcome.retryAfterSeconds);
  return { errors: null, values: null, done: { reference: outcome.reference, slaHours: outcome.slaHours } };
}

export default function AssistedRecovery() {
  const { preset } = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const navigation = useNavigation();
  if (a?.done) {
    return (
      <>
        <h1>We've got your request</h1>
        <Notice kind="success">
          <p>
            Your reference is <strong>{a.done.reference}</strong>. Keep it: we'll mention it when we contact you.
          </p>
        </Notice>
        <h2>What happens next</h2>
        <ol className="tips">
          <li>We've emailed the address you gave. Open that email and confirm the address, so we know where to reach you.</li>
          <li>A member of our support team will look at your request within {a.done.slaHours} hours.</li>
          <li>They may ask questions to check the account is yours. They will never ask for your password.</li>
        </ol>
        <p>
          <Link to="/">Back to the start</Link>
        </p>
      </>
    );
  }
  const e = (a?.errors ?? {}) as Record<string, string[] | undefined>;
  const v = (a?.values ?? {}) as Record<string, string | undefined>;
  const category = v.category ?? preset ?? "";
  return (
    <>
      <h1>Get help from our support team</h1>
      <p className="lead">
        When you can't prove it's you by email or phone, a person can. Tell us what happened; the more you tell us, the faster we
        can help.
      </p>
      {a?.errors ? (
        <Notice kind="error">
          <p>Please check the fields marked below.</p>
        </Notice>
      ) : null}
      <Form method="post" noValidate>
        <Honeypot />
        <Field label="Full name" name="fullName" autoComplete="name" maxLength={100} defaultValue={v.fullName} errors={e.fullName} required />
        <Field
          label="Username or email on the account (optional)"
          name="accountHint"
          autoComplete="username"
          maxLength={320}
          defaultValue={v.accountHint}
          errors={e.accountHint}
        />
        <Field
          label="Email where we can reach you"
          name="contactEmail"
          type="email"
          autoComplete="email"
          maxLength={254}
          hint="It can be a different address from the one on the account."
          defaultValue={v.contactEmail}
          errors={e.contactEmail}
          required
        />
        <Field label="Phone (optional)" name="contactPhone" type="tel" autoComplete="tel" maxLength={32} defaultValue={v.contactPhone} errors={e.contactPhone} />
        <fieldset className="field">
          <legend>What happened?</legend>
          {e.category ? <p className="error">{e.category.join(" ")}</p> : null}
          {CHOICES.map(([value, label]) => (
            <div key={value} className="choice-row">
              <input type="radio" id={`category-${value}`} name="category" value={value} defaultChecked={category === value} required />
              <label htmlFor={`category-${value}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="details">Tell us more</label>
          <p className="hint" id="details-hint">
            Up to 2000 characters. Don't include passwords or codes.
          </p>
          {e.details ? <p className="error">{e.details.join(" ")}</p> : null}
          <textarea id="details" name="details" rows={5} maxLength={2000} aria-describedby="details-hint" defaultValue={v.details} />
        </div>
        <Field label="Roughly when did you last sign in?" name="lastSignInClaim" maxLength={100} hint="For example: last week, or March 2026" defaultValue={v.lastSignInClaim} errors={e.lastSignInClaim} />
        <Field label="When did you open the account?" name="openedClaim" maxLength={100} hint="A year or month is fine" defaultValue={v.openedClaim} errors={e.openedClaim} />
        <div className="field choice-row">
          <input type="checkbox" id="consent" name="consent" value="yes" required aria-describedby={e.consent ? "consent-error" : undefined} />
          <label htmlFor="consent">You may contact me at the address and phone above about this request.</label>
        </div>
        {e.consent ? (
          <p className="error" id="consent-error">
            {e.consent.join(" ")}
          </p>
        ) : null}
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Send to support
        </button>
      </Form>
    </>
  );
}
