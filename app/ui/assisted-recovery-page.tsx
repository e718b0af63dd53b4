import { Form, Link, useNavigation } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { Field, Honeypot, Notice } from "./components";

const CHOICES = ["lost_email", "lost_factor", "locked", "compromised", "other"] as const;

/**
 * The ticket schema's messages (app/tickets/schemas.ts, shared with the English-only console) and
 * the catalogue key that says each in the page's language. A message not listed is shown as is.
 */
const ERROR_KEYS: Record<string, string> = {
  "Enter your full name": "assisted:errors.fullName",
  "Your name can be at most 100 characters": "assisted:errors.fullNameMax",
  "Your name must be on one line": "assisted:errors.fullNameLine",
  "The username or email can be at most 320 characters": "assisted:errors.accountHintMax",
  "Enter an email address where we can reach you": "assisted:errors.contactEmail",
  "Enter an email address like name@example.com": "assisted:errors.contactEmailFormat",
  "The phone number can be at most 32 characters": "assisted:errors.contactPhoneMax",
  "Enter a phone number using digits": "assisted:errors.contactPhone",
  "Choose what happened": "assisted:errors.category",
  "Your description can be at most 2000 characters": "assisted:errors.detailsMax",
  "This answer can be at most 100 characters": "assisted:errors.answerMax",
  "Tick the box so we may contact you about this request": "assisted:errors.consent",
};

/** Validation messages in the page's language (the console renders in English). */
export function translateErrors(t: TFunction, errors: string[] | null | undefined): string[] | undefined {
  return errors ? errors.map((m) => (ERROR_KEYS[m] ? t(ERROR_KEYS[m]) : m)) : undefined;
}

export type AssistedRecoveryAnswer = {
  errors: Record<string, string[] | null> | null;
  values: Record<string, string> | null;
  done: { reference: string; slaHours: number } | null;
};

/** The assisted-recovery form, or after a submission the reference and what happens next. */
export function AssistedRecoveryPage({ preset, a }: { preset: string | null; a?: AssistedRecoveryAnswer }) {
  const navigation = useNavigation();
  const { t } = useTranslation();
  if (a?.done) {
    return (
      <>
        <h1>{t("assisted:done.title")}</h1>
        <Notice kind="success">
          <p>
            <Trans i18nKey="assisted:done.reference" values={{ reference: a.done.reference }} components={{ strong: <strong /> }} />
          </p>
        </Notice>
        <h2>{t("assisted:done.next")}</h2>
        <ol className="tips">
          <li>{t("assisted:done.step1")}</li>
          <li>{t("assisted:done.step2", { count: a.done.slaHours })}</li>
          <li>{t("assisted:done.step3")}</li>
        </ol>
        <p>
          <Link to="/">{t("assisted:backToStart")}</Link>
        </p>
      </>
    );
  }
  const e = (a?.errors ?? {}) as Record<string, string[] | undefined>;
  const v = (a?.values ?? {}) as Record<string, string | undefined>;
  const category = v.category ?? preset ?? "";
  const consentErrors = translateErrors(t, e.consent);
  return (
    <>
      <h1>{t("assisted:form.title")}</h1>
      <p className="lead">{t("assisted:form.lead")}</p>
      <p>
        {t("assisted:form.before")} <Link to="/help/no-access-to-email-or-phone">{t("assisted:form.otherWays")}</Link> ·{" "}
        <Link to="/help/what-support-asks">{t("assisted:form.whatWeAsk")}</Link>
      </p>
      {a?.errors ? (
        <Notice kind="error">
          <p>{t("assisted:form.checkFields")}</p>
        </Notice>
      ) : null}
      <Form method="post" noValidate>
        <Honeypot />
        <TicketIdentityFields e={e} v={v} category={category} />
        <div className="field choice-row">
          <input type="checkbox" id="consent" name="consent" value="yes" required aria-describedby={consentErrors ? "consent-error" : undefined} />
          <label htmlFor="consent">{t("assisted:form.consent")}</label>
        </div>
        {consentErrors ? (
          <p className="error" id="consent-error">
            {consentErrors.join(" ")}
          </p>
        ) : null}
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {t("assisted:form.submit")}
        </button>
      </Form>
    </>
  );
}

/**
 * The identity checklist of a ticket: who, which account, how to reach them, what happened and
 * what only the owner would know. The public form and the console's phone-ticket page share it
 * (one zod schema, app/tickets/schemas.ts); the console renders it in English.
 */
export function TicketIdentityFields({
  e: raw,
  v,
  category,
}: {
  e: Record<string, string[] | undefined>;
  v: Record<string, string | undefined>;
  category: string;
}) {
  const { t } = useTranslation();
  const e = Object.fromEntries(Object.entries(raw).map(([k, m]) => [k, translateErrors(t, m)])) as Record<string, string[] | undefined>;
  return (
    <>
      <Field label={t("assisted:form.fullName")} name="fullName" autoComplete="name" maxLength={100} defaultValue={v.fullName} errors={e.fullName} required />
      <Field
        label={t("assisted:form.accountHint")}
        name="accountHint"
        autoComplete="username"
        maxLength={320}
        defaultValue={v.accountHint}
        errors={e.accountHint}
      />
      <Field
        label={t("assisted:form.contactEmail")}
        name="contactEmail"
        type="email"
        autoComplete="email"
        maxLength={254}
        hint={t("assisted:form.contactEmailHint")}
        defaultValue={v.contactEmail}
        errors={e.contactEmail}
        required
      />
      <Field
        label={t("assisted:form.contactPhone")}
        name="contactPhone"
        type="tel"
        autoComplete="tel"
        maxLength={32}
        defaultValue={v.contactPhone}
        errors={e.contactPhone}
      />
      <fieldset className="field">
        <legend>{t("assisted:form.category")}</legend>
        {e.category ? <p className="error">{e.category.join(" ")}</p> : null}
        {CHOICES.map((value) => (
          <div key={value} className="choice-row">
            <input type="radio" id={`category-${value}`} name="category" value={value} defaultChecked={category === value} required />
            <label htmlFor={`category-${value}`}>{t(`assisted:choice.${value}`)}</label>
          </div>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="details">{t("assisted:form.details")}</label>
        <p className="hint" id="details-hint">
          {t("assisted:form.detailsHint")}
        </p>
        {e.details ? <p className="error">{e.details.join(" ")}</p> : null}
        <textarea id="details" name="details" rows={5} maxLength={2000} aria-describedby="details-hint" defaultValue={v.details} />
      </div>
      <Field
        label={t("assisted:form.lastSignIn")}
        name="lastSignInClaim"
        maxLength={100}
        hint={t("assisted:form.lastSignInHint")}
        defaultValue={v.lastSignInClaim}
        errors={e.lastSignInClaim}
      />
      <Field
        label={t("assisted:form.opened")}
        name="openedClaim"
        maxLength={100}
        hint={t("assisted:form.openedHint")}
        defaultValue={v.openedClaim}
        errors={e.openedClaim}
      />
    </>
  );
}
