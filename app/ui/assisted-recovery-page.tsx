import { Form, Link, useNavigation } from "@remix-run/react";
import { Field, Honeypot, Notice } from "./components";

const CHOICES = [
  ["lost_email", "I lost access to my email"],
  ["lost_factor", "I lost my phone or authenticator app"],
  ["locked", "My account is locked"],
  ["compromised", "Someone else is using my account"],
  ["other", "Something else"],
] as const;

export type AssistedRecoveryAnswer = {
  errors: Record<string, string[] | null> | null;
  values: Record<string, string> | null;
  done: { reference: string; slaHours: number } | null;
};

/** The assisted-recovery form, or after a submission the reference and what happens next. */
export function AssistedRecoveryPage({ preset, a }: { preset: string | null; a?: AssistedRecoveryAnswer }) {
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
      <p>
        Before you start: <Link to="/help/no-access-to-email-or-phone">other ways back in without your email or phone</Link> ·{" "}
        <Link to="/help/what-support-asks">what our support team will and won't ask</Link>
      </p>
      {a?.errors ? (
        <Notice kind="error">
          <p>Please check the fields marked below.</p>
        </Notice>
      ) : null}
      <Form method="post" noValidate>
        <Honeypot />
        <TicketIdentityFields e={e} v={v} category={category} />
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

/**
 * The identity checklist of a ticket: who, which account, how to reach them, what happened and
 * what only the owner would know. The public form and the console's phone-ticket page share it
 * (one zod schema, app/tickets/schemas.ts).
 */
export function TicketIdentityFields({
  e,
  v,
  category,
}: {
  e: Record<string, string[] | undefined>;
  v: Record<string, string | undefined>;
  category: string;
}) {
  return (
    <>
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
    </>
  );
}
