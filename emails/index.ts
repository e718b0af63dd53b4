import { createElement, Suspense, type ReactElement } from "react";
import { renderToString } from "react-dom/server";
import { plainTextSelectors } from "@react-email/render";
import { compile } from "html-to-text";
import * as smtpTest from "./smtp-test";
import * as passwordReset from "./password-reset";
import * as passwordChanged from "./password-changed";
import * as accountUnlock from "./account-unlock";
import * as accountUnlocked from "./account-unlocked";
import * as accountLocked from "./account-locked";
import * as usernameReminder from "./username-reminder";
import * as contactVerify from "./contact-verify";
import * as contactChanged from "./contact-changed";
import * as contactVerifyAssisted from "./contact-verify-assisted";
import * as approvalRequested from "./approval-requested";
import * as passwordResetLink from "./password-reset-link";
import * as ticketAcknowledgement from "./ticket-acknowledgement";
import * as ticketNew from "./ticket-new";
import * as ticketMoreInfo from "./ticket-more-info";
import * as ticketRejected from "./ticket-rejected";
import * as ticketEscalated from "./ticket-escalated";
import * as webhookDisabled from "./webhook-disabled";
import * as ticketCustomerReply from "./ticket-customer-reply";
import * as factorChanged from "./factor-changed";
import * as recoveryAmbiguous from "./recovery-ambiguous";
import * as staffLocked from "./staff-locked";
import * as staffInvite from "./staff-invite";
import * as ticketClosed from "./ticket-closed";
import * as newDeviceSignIn from "./new-device-sign-in";
import { inLocale, localeOf, type WithLocale } from "./i18n";
import { renderCompiled, type Rendered } from "./compiled";

/**
 * One message: the email (a React Email component and its subject) and, when it may go by text
 * message, its SMS form. All three read the same props.
 */
export type MessageDef<P> = {
  component: (props: P) => ReactElement;
  subject: (props: P) => string;
  sms?: (props: P) => string;
  /**
   * The props the template only prints (or tests for presence), never compares or transforms:
   * their values are filled into a compiled shape of the message instead of rendering it anew
   * each time (emails/compiled.ts). Leave a prop out when in doubt: it then costs a render.
   */
  printed?: readonly PrintedProp<P>[];
};
type PrintedProp<P> = { [K in keyof P]-?: NonNullable<P[K]> extends string | readonly string[] ? K : never }[keyof P] & string;

/** Each entry's parts must agree on one props type: that of its component. */
type Consistent<M> = { readonly [K in keyof M]: M[K] extends { component: (props: infer P) => ReactElement } ? MessageDef<P> : never };
function defineMessages<M extends Consistent<M>>(messages: M): M {
  return messages;
}

/**
 * Every message the portal sends, by template name; one file in emails/ each. The outbox stores
 * the name and the props as JSON; the worker renders here at send time, so a request never pays
 * for rendering.
 */
export const messages = defineMessages({
  "smtp-test": { component: smtpTest.default, subject: smtpTest.subject },
  "password-reset": { component: passwordReset.default, subject: passwordReset.subject, sms: passwordReset.sms, printed: ["username", "link", "code", "supportUrl"] },
  "password-changed": { component: passwordChanged.default, subject: passwordChanged.subject, sms: passwordChanged.sms, printed: ["username", "when", "browser", "ip", "reportUrl", "supportEmail", "loginUrl"] },
  "recovery-ambiguous": { component: recoveryAmbiguous.default, subject: recoveryAmbiguous.subject, sms: recoveryAmbiguous.sms, printed: ["usernames", "origin"] },
  "username-reminder": { component: usernameReminder.default, subject: usernameReminder.subject, sms: usernameReminder.sms, printed: ["usernames", "loginUrl", "resetUrl"] },
  "contact-verify": { component: contactVerify.default, subject: contactVerify.subject, sms: contactVerify.sms, printed: ["username", "code"] },
  "contact-changed": { component: contactChanged.default, subject: contactChanged.subject, sms: contactChanged.sms, printed: ["username", "when", "browser", "ip", "reportUrl", "supportEmail"] },
  "contact-verify-assisted": { component: contactVerifyAssisted.default, subject: contactVerifyAssisted.subject, sms: contactVerifyAssisted.sms },
  "approval-requested": { component: approvalRequested.default, subject: approvalRequested.subject },
  "password-reset-link": { component: passwordResetLink.default, subject: passwordResetLink.subject, sms: passwordResetLink.sms, printed: ["username", "link", "supportUrl"] },
  "ticket-acknowledgement": { component: ticketAcknowledgement.default, subject: ticketAcknowledgement.subject },
  "ticket-new": { component: ticketNew.default, subject: ticketNew.subject },
  "ticket-more-info": { component: ticketMoreInfo.default, subject: ticketMoreInfo.subject },
  "ticket-rejected": { component: ticketRejected.default, subject: ticketRejected.subject },
  "ticket-escalated": { component: ticketEscalated.default, subject: ticketEscalated.subject },
  "ticket-customer-reply": { component: ticketCustomerReply.default, subject: ticketCustomerReply.subject },
  "factor-changed": { component: factorChanged.default, subject: factorChanged.subject, sms: factorChanged.sms, printed: ["username", "when", "browser", "ip", "reportUrl", "supportEmail"] },
  "account-unlock": { component: accountUnlock.default, subject: accountUnlock.subject, sms: accountUnlock.sms, printed: ["username", "link", "code", "supportUrl"] },
  "account-unlocked": { component: accountUnlocked.default, subject: accountUnlocked.subject, sms: accountUnlocked.sms, printed: ["username", "when", "browser", "ip", "reportUrl", "supportEmail"] },
  "account-locked": { component: accountLocked.default, subject: accountLocked.subject, sms: accountLocked.sms, printed: ["username", "when", "until", "unlockUrl", "supportUrl", "supportEmail"] },
  "staff-locked": { component: staffLocked.default, subject: staffLocked.subject },
  "staff-invite": { component: staffInvite.default, subject: staffInvite.subject },
  "ticket-closed": { component: ticketClosed.default, subject: ticketClosed.subject },
  "new-device-sign-in": { component: newDeviceSignIn.default, subject: newDeviceSignIn.subject, printed: ["username", "when", "browser", "network", "reportUrl", "supportEmail", "settingsUrl"] },
  "webhook-disabled": { component: webhookDisabled.default, subject: webhookDisabled.subject },
} as const);

type Messages = typeof messages;
export type MessageName = keyof Messages;
/** The props each message needs, by template name. */
export type MessageProps = { [K in MessageName]: Parameters<Messages[K]["component"]>[0] };
/** The messages that have an SMS form. */
export type SmsMessageName = { [K in MessageName]: Messages[K] extends { sms: unknown } ? K : never }[MessageName];

/**
 * A message to queue: `payload` must be the props of `template`, and only a message with an SMS
 * form may go by SMS. `send` and `enqueue` take this.
 */
export type OutgoingMessage<T extends MessageName> = {
  channel: T extends SmsMessageName ? "email" | "sms" : "email";
  to: string;
  template: T;
  /** `locale`: the language of a customer message (emails/i18n.tsx); none is English. */
  payload: MessageProps[T] & WithLocale;
};

/** The entry for a name read back from the outbox (a plain string at run time), or undefined. */
function lookup(name: string): MessageDef<Record<string, unknown>> | undefined {
  if (!Object.hasOwn(messages, name)) return undefined;
  // The payload was written by a type-checked `send` for this very name.
  return messages[name as MessageName] as unknown as MessageDef<Record<string, unknown>>;
}

/**
 * The text part, derived from the rendered HTML with React Email's own plain-text rules, compiled
 * once: `toPlainText` compiles html-to-text's options on every call, which cost more than the render.
 */
const toText = compile({ wordwrap: false, selectors: plainTextSelectors });

const DOCTYPE = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/** Renders a message: its subject, HTML and text, in the payload's language. */
export function renderEmail(name: string, payload: Record<string, unknown>) {
  const template = lookup(name);
  if (!template) throw new Error(`unknown email template ${name}`);
  // Most messages are filled into a compiled shape (emails/compiled.ts); the rest render in full.
  const { html, text } = renderCompiled(name, template.printed, payload, (p) => renderBody(template, p)) ?? renderBody(template, payload);
  // Subjects are one line: strip CR/LF from anything that came from a payload (EML-01).
  const subject = template.subject(payload).replace(/[\r\n]+/g, " ").slice(0, 200);
  return { subject, html, text };
}

/**
 * Renders a message's body once: one synchronous React render for the HTML, and the text derived
 * from that HTML. Byte for byte what React Email's `render(element)` and `render(element, {
 * plainText: true })` give (tests/unit/outbox-batch.test.ts checks every template), for a fraction
 * of the CPU: no second render, no stream plumbing, no `import("react-dom/server")` per call.
 * (React Email also strips image preload links; these templates have no images.)
 */
function renderBody(template: MessageDef<Record<string, unknown>>, payload: Record<string, unknown>): Rendered {
  // Inside <Suspense>, as React Email renders it, so the markup is the same.
  // In the message's language (the payload's `locale`, issue 16): English without one.
  const markup = renderToString(createElement(Suspense, null, inLocale(localeOf(payload), createElement(template.component, payload))));
  return { html: DOCTYPE + markup.replace(/<!DOCTYPE.*?>/, ""), text: toText(markup) };
}

/** The body rendered in full, never from a compiled shape: what the compiled path must equal (tests). */
export function renderFull(name: string, payload: Record<string, unknown>): Rendered {
  const template = lookup(name);
  if (!template) throw new Error(`unknown email template ${name}`);
  return renderBody(template, payload);
}

export function renderSms(name: string, payload: Record<string, unknown>): string {
  const sms = lookup(name)?.sms;
  if (!sms) throw new Error(`unknown SMS template ${name}`);
  return sms(payload);
}
