import { createElement, type FunctionComponent } from "react";
import { render } from "@react-email/render";
import SmtpTest, { subject as smtpTestSubject } from "./smtp-test";
import PasswordReset, { subject as passwordResetSubject } from "./password-reset";
import PasswordChanged, { subject as passwordChangedSubject } from "./password-changed";
import AccountUnlock, { subject as unlockSubject } from "./account-unlock";
import AccountUnlocked, { subject as unlockedSubject } from "./account-unlocked";
import UsernameReminder, { subject as usernameSubject } from "./username-reminder";
import ContactVerify, { subject as contactVerifySubject } from "./contact-verify";
import ContactChanged, { subject as contactChangedSubject } from "./contact-changed";
import PasswordResetLink, { subject as resetLinkSubject } from "./password-reset-link";
import TicketAcknowledgement, { subject as ackSubject } from "./ticket-acknowledgement";
import TicketNew, { subject as ticketNewSubject } from "./ticket-new";
import TicketMoreInfo, { subject as moreInfoSubject } from "./ticket-more-info";
import TicketRejected, { subject as rejectedSubject } from "./ticket-rejected";
import FactorChanged, { subject as factorChangedSubject } from "./factor-changed";
import RecoveryAmbiguous, { subject as ambiguousSubject } from "./recovery-ambiguous";
import StaffLocked, { subject as staffLockedSubject } from "./staff-locked";

/**
 * Every message the portal sends, by template name. The outbox stores the name and a payload;
 * the worker renders here at send time, so a request never pays for rendering.
 */
type EmailTemplate = {
  // Payloads come back from JSON in the outbox; each template reads the fields it needs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  component: FunctionComponent<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  subject: (payload: any) => string;
};

const emailTemplates: Record<string, EmailTemplate> = {
  "smtp-test": { component: SmtpTest, subject: smtpTestSubject },
  "password-reset": { component: PasswordReset, subject: passwordResetSubject },
  "password-changed": { component: PasswordChanged, subject: passwordChangedSubject },
  "recovery-ambiguous": { component: RecoveryAmbiguous, subject: ambiguousSubject },
  "username-reminder": { component: UsernameReminder, subject: usernameSubject },
  "contact-verify": { component: ContactVerify, subject: contactVerifySubject },
  "contact-changed": { component: ContactChanged, subject: contactChangedSubject },
  "password-reset-link": { component: PasswordResetLink, subject: resetLinkSubject },
  "ticket-acknowledgement": { component: TicketAcknowledgement, subject: ackSubject },
  "ticket-new": { component: TicketNew, subject: ticketNewSubject },
  "ticket-more-info": { component: TicketMoreInfo, subject: moreInfoSubject },
  "ticket-rejected": { component: TicketRejected, subject: rejectedSubject },
  "factor-changed": { component: FactorChanged, subject: factorChangedSubject },
  "account-unlock": { component: AccountUnlock, subject: unlockSubject },
  "account-unlocked": { component: AccountUnlocked, subject: unlockedSubject },
  "staff-locked": { component: StaffLocked, subject: staffLockedSubject },
};

type SmsTemplate = (payload: Record<string, unknown>) => string;
const smsTemplates: Record<string, SmsTemplate> = {
  "password-reset": (p) => `${p.appName}: your password reset code is ${p.code}. It expires in ${p.codeMinutes} minutes. Didn't ask? Ignore this.`,
  "username-reminder": (p) =>
    `${p.appName}: username${(p.usernames as string[]).length > 1 ? "s" : ""} for this number: ${(p.usernames as string[]).join(", ")}. Sign in: ${p.loginUrl}`,
  "contact-verify": (p) => `${p.appName}: your code to confirm this phone number is ${p.code}. Didn't ask? Ignore this.`,
  "contact-changed": (p) => `${p.appName}: the ${p.kind === "email" ? "email address" : "phone number"} of ${p.username} was changed. Not you? ${p.reportUrl}`,
  "password-reset-link": (p) => `${p.appName}: our support team approved your request. Choose a new password (works once): ${p.link}`,
  "factor-changed": (p) => `${p.appName}: ${p.change} on ${p.username}. Not you? ${p.reportUrl}`,
  "recovery-ambiguous": (p) =>
    `${p.appName}: several accounts use this number (${(p.usernames as string[]).join(", ")}). Start again with your username: ${p.origin}`,
  "account-unlock": (p) => `${p.appName}: your unlock code is ${p.code}. It expires in ${p.codeMinutes} minutes. Didn't ask? Ignore this.`,
  "account-unlocked": (p) => `${p.appName}: the account ${p.username} was unlocked. Not you? ${p.reportUrl}`,
  "password-changed": (p) => `${p.appName}: the password of ${p.username} was changed. Not you? ${p.reportUrl}`,
};

export function registerEmail(name: string, template: EmailTemplate): void {
  emailTemplates[name] = template;
}

export async function renderEmail(name: string, payload: Record<string, unknown>) {
  const template = emailTemplates[name];
  if (!template) throw new Error(`unknown email template ${name}`);
  const element = createElement(template.component, payload);
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  // Subjects are one line: strip CR/LF from anything that came from a payload (EML-01).
  const subject = template.subject(payload).replace(/[\r\n]+/g, " ").slice(0, 200);
  return { subject, html, text };
}

export function renderSms(name: string, payload: Record<string, unknown>): string {
  const template = smsTemplates[name];
  if (!template) throw new Error(`unknown SMS template ${name}`);
  return template(payload);
}

export function registerSms(name: string, template: SmsTemplate): void {
  smsTemplates[name] = template;
}
