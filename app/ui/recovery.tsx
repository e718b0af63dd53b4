import type { ReactNode } from "react";
import type { MetaFunction } from "@remix-run/react";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { metaT } from "~/i18n/meta";
import { Field, Honeypot, Notice, useMessages } from "./components";
import { PasskeyButton } from "./passkey-button";

/** Pages shared by the reset and unlock flows, so both look and behave the same. */

/** A page that asks for one identifier: the first step of reset, unlock and username reminders. */
export function OneFieldForm(props: {
  heading: string;
  intro: string;
  field: { label: string; name: string; autoComplete: string; dir?: "ltr" | "auto" };
  answer?: { errors?: string[] | null; value?: string };
  submitLabel: string;
  links: ReactNode;
}) {
  const navigation = useNavigation();
  const messages = useMessages();
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
          errors={messages(props.answer?.errors)}
          autoComplete={props.field.autoComplete}
          autoCapitalize="none"
          spellCheck={false}
          maxLength={320}
          dir={props.field.dir ?? "auto"}
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

/** Each flow's first page; everything else about the two flows is shared. */
const FLOWS = {
  reset: { start: "/forgot-password" },
  unlock: { start: "/unlock" },
} as const;

/** A route's title, in the page's language: "<title> | Account recovery". */
export function titleMeta(key: string): MetaFunction {
  return ({ matches }) => {
    const t = metaT(matches);
    return [{ title: t("recovery:meta.suffix", { title: t(key) }) }];
  };
}

/** The first page of a flow; a reset may also start with a passkey. */
export function requestPage(purpose: Purpose) {
  return function RequestPage() {
    const { t } = useTranslation();
    const answer = useActionData<{ errors: string[]; value: string }>();
    return (
      <>
        <OneFieldForm
          heading={purpose === "reset" ? t("recovery:flow.reset.heading") : t("recovery:flow.unlock.heading")}
          intro={purpose === "reset" ? t("recovery:flow.reset.intro") : t("recovery:flow.unlock.intro")}
          field={{ label: t("recovery:request.identifierLabel"), name: "identifier", autoComplete: "username" }}
          answer={answer}
          submitLabel={t("recovery:request.submit")}
          links={
            <>
              <Link to="/forgot-username">{t("recovery:request.forgotUsername")}</Link> ·{" "}
              <Link to="/assisted-recovery">{t("recovery:request.cantUse")}</Link> ·{" "}
              {purpose === "unlock" ? (
                <Link to="/help/locked-out">{t("recovery:request.whyLock")}</Link>
              ) : (
                <Link to="/help/no-email-arrived">{t("recovery:request.helpEmails")}</Link>
              )}
            </>
          }
        />
        {purpose === "reset" ? <PasskeyButton use="reset" label={t("ui:passkey.reset")} /> : null}
      </>
    );
  };
}

export type CodePageMessage = { kind: "info" | "success" | "warning" | "error"; text: string; offerNew?: boolean };

type CodePageData = { via: "email" | "phone"; linkMinutes: number; codeMinutes: number };

// The title says the same as the heading: a phone request is told to check its phone.
export const codeMeta: MetaFunction = ({ data, matches }) => {
  const t = metaT(matches);
  const heading = (data as CodePageData | undefined)?.via === "phone" ? t("recovery:code.heading.phone") : t("recovery:code.heading.email");
  return [{ title: t("recovery:meta.suffix", { title: heading }) }];
};

/** "Check your email" (or phone): the code form, resend, and the SMS fallback. */
export function codePage(purpose: Purpose) {
  return function CodePage() {
    const { t } = useTranslation();
    const messages = useMessages();
    const { via, linkMinutes, codeMinutes } = useLoaderData<CodePageData>();
    const answer = useActionData<{ message: CodePageMessage | null; codeErrors: string[] | null }>();
    const navigation = useNavigation();
    return (
      <>
        <h1>{t(`recovery:code.heading.${via}`)}</h1>
        <Notice kind="info">
          <p>{t(`recovery:code.sent.${via}`)}</p>
        </Notice>
        {answer?.message ? (
          <Notice kind={answer.message.kind}>
            <p>{answer.message.text}</p>
            {answer.message.offerNew ? (
              <p>
                <Trans
                  i18nKey="recovery:code.offerNew"
                  components={{ start: <Link to={FLOWS[purpose].start} />, support: <Link to="/assisted-recovery" /> }}
                />{" "}
                <Link to="/help/code-not-accepted">{t("recovery:code.whyStop")}</Link>
              </p>
            ) : null}
          </Notice>
        ) : null}
        <p>{t(`recovery:code.where.${via}`)}</p>
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="verify" />
          <Field
            label={t("recovery:code.label")}
            name="code"
            hint={t(`recovery:code.hint.${via}`)}
            errors={messages(answer?.codeErrors)}
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]*"
            maxLength={12}
            dir="ltr"
            required
          />
          <button type="submit" className="button" disabled={navigation.state === "submitting"}>
            {t("recovery:code.continue")}
          </button>
        </Form>
        <Form method="post" className="actions">
          <input type="hidden" name="intent" value="resend" />
          <span>{t("recovery:code.nothingArrived")}</span>
          <button type="submit" className="button button-secondary">
            {t("recovery:code.resend")}
          </button>
        </Form>
        {via === "email" ? (
          <Form method="post" className="actions">
            <input type="hidden" name="intent" value="sms" />
            <span>{t("recovery:code.noEmail")}</span>
            <button type="submit" className="button button-secondary">
              {t("recovery:code.textMe")}
            </button>
          </Form>
        ) : null}
        {via === "email" ? <p className="hint">{t("recovery:code.smsWarning")}</p> : null}
        <h2>{t("recovery:code.tips")}</h2>
        <ul className="tips">
          <li>{t(`recovery:code.arrival.${via}`)}</li>
          <li>{via === "phone" ? t("recovery:code.phoneWorks", { minutes: codeMinutes }) : t("recovery:code.emailWorks", { linkMinutes, codeMinutes })}</li>
          <li>{t("recovery:code.waitResend")}</li>
          <li>
            <Link to={via === "phone" ? "/help/code-not-accepted" : "/help/no-email-arrived"}>
              {via === "phone" ? t("recovery:code.notAccepted") : t("recovery:code.noEmailArrived")}
            </Link>
          </li>
          <li>
            <Trans i18nKey="recovery:code.noLonger" components={{ go: <Link to="/assisted-recovery" /> }} />{" "}
            <Link to="/help/no-access-to-email-or-phone">{t("recovery:code.withoutAccess")}</Link>
          </li>
        </ul>
      </>
    );
  };
}

type LinkStatus = "expired" | "used" | "invalid" | "throttled";

/** The help article each dead end points to (content/help/). */
const DEAD_END_HELP: Record<LinkStatus, string> = {
  expired: "/help/link-expired",
  used: "/help/link-expired",
  invalid: "/help/link-expired",
  throttled: "/help/too-many-tries",
};

export function DeadEnd(props: { status: LinkStatus; startPath: string; startLabel: string }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t(`recovery:deadEnd.${props.status}.title`)}</h1>
      <p>{t(`recovery:deadEnd.${props.status}.text`)}</p>
      <p>
        <Link to={DEAD_END_HELP[props.status]}>{props.status === "throttled" ? t("recovery:deadEnd.whyWait") : t("recovery:deadEnd.whyLinks")}</Link>
      </p>
      <p className="actions">
        <Link className="button" to={props.startPath}>
          {props.startLabel}
        </Link>
      </p>
      <p>
        <Trans i18nKey="recovery:deadEnd.stuck" components={{ go: <Link to="/assisted-recovery" /> }} />
      </p>
    </>
  );
}

/** The page a link opens: nothing happens until Continue is pressed (scanner-safe). */
export function LinkLanding(props: { heading: string; text: string }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{props.heading}</h1>
      <p className="lead">{props.text}</p>
      <Form method="post">
        <button type="submit" className="button">
          {t("recovery:landing.continue")}
        </button>
      </Form>
      <p className="hint">{t("recovery:landing.notYou")}</p>
    </>
  );
}

/** A link's page: Continue while the link is good, otherwise why not and where to start again. */
export function linkPage(purpose: Purpose) {
  return function LinkPage() {
    const { t } = useTranslation();
    const acted = useActionData<{ status: LinkStatus }>();
    const loaded = useLoaderData<{ status: LinkStatus | "valid" }>();
    const status = acted?.status ?? loaded.status;
    if (status !== "valid") return <DeadEnd status={status} startPath={FLOWS[purpose].start} startLabel={t("recovery:deadEnd.newLink")} />;
    return purpose === "reset" ? (
      <LinkLanding heading={t("recovery:flow.reset.landingHeading")} text={t("recovery:flow.reset.landingText")} />
    ) : (
      <LinkLanding heading={t("recovery:flow.unlock.landingHeading")} text={t("recovery:flow.unlock.landingText")} />
    );
  };
}
