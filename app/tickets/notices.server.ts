import type { AppLoadContext } from "@remix-run/node";
import type { User } from "~/accounts/accounts.server";
import { describeBrowser } from "~/http/user-agent";
import { reportLink } from "./report.server";

/**
 * A security notification (NTF-01, NTF-02): what happened, when, from which browser and address,
 * and a single-use "This wasn't me" link, sent to every verified channel of the account.
 * Call inside the transaction of the change it announces.
 */
export function sendSecurityNotice(
  context: AppLoadContext,
  user: User,
  notice: {
    template: string;
    /** The event the report link names, e.g. "password_changed". */
    event: string;
    /** Template-specific fields (e.g. `change`, `kind`). */
    extra?: Record<string, string>;
    /** When staff acted, the notice says so instead of showing their browser and address. */
    byStaff?: boolean;
    /** Extra email addresses to tell (the old address after an email change). */
    alsoEmail?: string[];
  },
): void {
  const { config, clock } = context.services;
  const payload = {
    appName: config.appName,
    username: user.username,
    when: new Date(clock.now()).toUTCString(),
    browser: notice.byStaff ? "our support team" : describeBrowser(context.userAgent),
    ip: notice.byStaff ? "" : context.clientIp,
    reportUrl: reportLink(context, user.id, notice.event),
    supportUrl: `${config.appOrigin}/assisted-recovery`,
    supportEmail: config.supportEmail,
    loginUrl: `${config.appOrigin}/login`,
    ...notice.extra,
  };
  const emails = new Set(notice.alsoEmail ?? []);
  if (user.email_verified) emails.add(user.email);
  for (const to of emails) context.services.send({ channel: "email", to, template: notice.template, payload });
  if (user.phone && user.phone_verified) context.services.send({ channel: "sms", to: user.phone, template: notice.template, payload });
}
