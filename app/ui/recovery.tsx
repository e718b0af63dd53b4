import type { ReactNode } from "react";
import type { MetaFunction } from "@remix-run/react";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, Honeypot, Notice } from "./components";
import { PasskeyButton } from "./passkey-button";

/** Pages shared by the reset and unlock flows, so both look and behave the same. */

/** A page that asks for one identifier: the first step of reset, unlock and username reminders. */
export function OneFieldForm(props: {
  heading: string;
  intro: string;
  field: { label: string; name: string; autoComplete: string };
  answer?: { errors?: string[] | null; value?: string };
  submitLabel: string;
  links: ReactNode;
}) {
  const navigation = useNavigation();
  return (
    <>
      <h1>{props.heading}</h1>
      <p className="lead">{props.intro}</p>
      <Form method="post" noValidate>
        <Honeypot />
        <Field
          label={props.field.label}
          name={props.field.name}
          defaultValue={props.answer?.value}
          errors={props.answer?.errors}
          autoComplete={props.field.autoComplete}
          autoCapitalize="none"
          spellCheck={false}
          maxLength={320}
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {props.submitLabel}
        </button>
      </Form>
      <p>{props.links}</p>
    </>
  );
}

type Purpose = "reset" | "unlock";

/** Each flow's own words and first page; everything else about the two flows is shared. */
const FLOWS = {
  reset: {
    start: "/forgot-password",
    heading: "Forgot your password?",
    intro: "Tell us which account. If it exists, we'll send a link and a code to its email address.",
    landing: { heading: "Reset your password", text: "Press Continue to choose a new password on this device." },
  },
  unlock: {
    start: "/unlock",
    heading: "Account locked?",
    intro: "After too many wrong passwords an account locks for a while. Prove it's yours and unlock it now: we'll send a link and a code to its email address.",
    landing: { heading: "Unlock your account", text: "Press Continue to unlock your account on this device." },
  },
} as const;

const IDENTIFIER_FIELD = { label: "Username, email or phone number", name: "identifier", autoComplete: "username" };

/** The first page of a flow; a reset may also start with a passkey. */
export function requestPage(purpose: Purpose) {
  return function RequestPage() {
    const answer = useActionData<{ errors: string[]; value: string }>();
    const flow = FLOWS[purpose];
    return (
      <>
        <OneFieldForm
          heading={flow.heading}
          intro={flow.intro}
          field={IDENTIFIER_FIELD}
          answer={answer}
          submitLabel="Send link and code"
          links={
            <>
              <Link to="/forgot-username">Forgot your username?</Link> ·{" "}
              <Link to="/assisted-recovery">Can't use your email or phone?</Link> ·{" "}
              {purpose === "unlock" ? <Link to="/help/locked-out">Why accounts lock</Link> : <Link to="/help/no-email-arrived">Help with emails and codes</Link>}
            </>
          }
        />
        {purpose === "reset" ? <PasskeyButton use="reset" label="Use a passkey instead" /> : null}
      </>
    );
  };
}

export type CodePageMessage = { kind: "info" | "success" | "warning" | "error"; text: string; offerNew?: boolean };

/** What the code page says, by where the code went. */
const VIA_TEXT = {
  heading: { phone: "Check your phone", email: "Check your email" },
  sent: { phone: "If an account has this verified phone number, we've sent a code to it by text message.", email: "If an account matches, we've sent a link and a code to its email address." },
  where: { phone: "Type the code here.", email: "Open the link on any device, or type the code here." },
  hint: { phone: "6 digits, from the text message we just sent", email: "6 digits, from the email we just sent" },
  arrival: { phone: "Text messages usually arrive within a minute. Check the number you typed.", email: "Check your spam or junk folder. Messages usually arrive within a minute." },
} as const;

type CodePageData = { via: "email" | "phone"; linkMinutes: number; codeMinutes: number };

// The title says the same as the heading: a phone request is told to check its phone.
export const codeMeta: MetaFunction = ({ data }) => [{ title: `${VIA_TEXT.heading[(data as CodePageData | undefined)?.via === "phone" ? "phone" : "email"]} | Account recovery` }];

/** "Check your email" (or phone): the code form, resend, and the SMS fallback. */
export function codePage(purpose: Purpose) {
  return function CodePage() {
    const { via, linkMinutes, codeMinutes } = useLoaderData<CodePageData>();
    const answer = useActionData<{ message: CodePageMessage | null; codeErrors: string[] | null }>();
    const navigation = useNavigation();
    return (
      <>
        <h1>{VIA_TEXT.heading[via]}</h1>
        <Notice kind="info">
          <p>{VIA_TEXT.sent[via]}</p>
        </Notice>
        {answer?.message ? (
          <Notice kind={answer.message.kind}>
            <p>{answer.message.text}</p>
            {answer.message.offerNew ? (
              <p>
                <Link to={FLOWS[purpose].start}>Start again</Link> or <Link to="/assisted-recovery">ask our support team</Link>.{" "}
                <Link to="/help/code-not-accepted">Why codes stop working</Link>
              </p>
            ) : null}
          </Notice>
        ) : null}
        <p>{VIA_TEXT.where[via]}</p>
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="verify" />
          <Field
            label="Code"
            name="code"
            hint={VIA_TEXT.hint[via]}
            errors={answer?.codeErrors}
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
        {via === "email" ? (
          <Form method="post" className="actions">
            <input type="hidden" name="intent" value="sms" />
            <span>Can't get to your email?</span>
            <button type="submit" className="button button-secondary">
              Text me a code instead
            </button>
          </Form>
        ) : null}
        {via === "email" ? (
          <p className="hint">
            Text messages can be intercepted (for example by SIM swap); email, a passkey or an authenticator app are safer.
          </p>
        ) : null}
        <h2>Tips</h2>
        <ul className="tips">
          <li>{VIA_TEXT.arrival[via]}</li>
          <li>
            {via === "phone"
              ? `The code works for ${codeMinutes} minutes, once. A new one replaces the old.`
              : `The link works for ${linkMinutes} minutes and the code for ${codeMinutes} minutes. Each works once, and a new one replaces the old.`}
          </li>
          <li>You can wait a minute between resends.</li>
          <li>
            <Link to={via === "phone" ? "/help/code-not-accepted" : "/help/no-email-arrived"}>
              {via === "phone" ? "Code not accepted?" : "The email didn't arrive?"}
            </Link>
          </li>
          <li>
            No longer use that email address? <Link to="/assisted-recovery">Ask our support team</Link>.{" "}
            <Link to="/help/no-access-to-email-or-phone">What to do without your email or phone</Link>
          </li>
        </ul>
      </>
    );
  };
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

/** The help article each dead end points to (content/help/). */
const DEAD_END_HELP = {
  expired: { to: "/help/link-expired", label: "Why links stop working" },
  used: { to: "/help/link-expired", label: "Why links stop working" },
  invalid: { to: "/help/link-expired", label: "Why links stop working" },
  throttled: { to: "/help/too-many-tries", label: "Why you have to wait" },
} as const;

export function DeadEnd(props: { status: keyof typeof DEAD_END_TEXT; startPath: string; startLabel: string }) {
  const copy = DEAD_END_TEXT[props.status];
  return (
    <>
      <h1>{copy.title}</h1>
      <p>{copy.text}</p>
      <p>
        <Link to={DEAD_END_HELP[props.status].to}>{DEAD_END_HELP[props.status].label}</Link>
      </p>
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

type LinkStatus = keyof typeof DEAD_END_TEXT;

/** A link's page: Continue while the link is good, otherwise why not and where to start again. */
export function linkPage(purpose: Purpose) {
  return function LinkPage() {
    const acted = useActionData<{ status: LinkStatus }>();
    const loaded = useLoaderData<{ status: LinkStatus | "valid" }>();
    const status = acted?.status ?? loaded.status;
    const flow = FLOWS[purpose];
    if (status !== "valid") return <DeadEnd status={status} startPath={flow.start} startLabel="Get a new link" />;
    return <LinkLanding heading={flow.landing.heading} text={flow.landing.text} />;
  };
}
