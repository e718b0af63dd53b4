import type { RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { describeBrowser } from "~/http/user-agent";
import { fixedT } from "~/i18n/instance";
import { messageTime } from "./message-locale";
import { reportLink, type ReportRestore } from "./report-links.server";

/** The security notices, each with the fields it adds to the common ones (checked against emails/). */
type Notice =
  | { template: "account-unlocked"; extra?: undefined }
  | { template: "password-changed"; extra?: { signedInHere: boolean } }
  | { template: "factor-changed"; extra: { change: string; left?: number; codesDropped?: boolean } }
  | { template: "contact-changed"; extra: { kind: "email" | "phone" } };

/**
 * A security notification (NTF-01, NTF-02): what happened, when, from which browser and address,
 * and a "This wasn't me" link, sent to every verified channel of the account. Each recipient gets
 * a link of its own (single use, 7 days, L10), so a report names who made it; the previous address
 * of a contact change gets a link that also undoes the change (M3).
 * Call inside the transaction of the change it announces.
 */
export async function sendSecurityNotice(
  context: RequestContext,
  user: User,
  notice: Notice & {
    /** The event the report link names, e.g. "password_changed". */
    event: string;
    /** When staff acted, the notice says so instead of showing their browser and address. */
    byStaff?: boolean;
    /** Extra email addresses to tell (the new address after an email change). */
    alsoEmail?: string[];
    /**
     * A contact change: the recipient that holds `previous` (the old address, or the old phone)
     * gets a link whose report puts `previous` back.
     */
    restore?: ReportRestore;
  },
): Promise<void> {
  const { config, clock } = context.services;
  // In the account's language (issue 16).
  const locale = user.locale ?? config.defaultLocale;
  const base = {
    appName: config.appName,
    username: user.username,
    when: messageTime(locale, clock.now()),
    browser: notice.byStaff ? fixedT(locale)("emails:common.ourSupportTeam") : describeBrowser(context.userAgent),
    ip: notice.byStaff ? "" : context.clientIp,
    supportEmail: config.supportEmail,
    loginUrl: `${config.appOrigin}/login`,
    locale,
  };
  const restoreFor = (kind: "email" | "phone", to: string) =>
    notice.restore && notice.restore.kind === kind && notice.restore.previous === to ? notice.restore : null;
  const emails = new Set(notice.alsoEmail ?? []);
  if (user.email_verified) emails.add(user.email);
  for (const to of emails) {
    const reportUrl = await reportLink(context, user.id, notice.event, { channel: "email", to }, restoreFor("email", to));
    await context.services.send({ channel: "email", to, template: notice.template, payload: { ...base, ...notice.extra, reportUrl } });
  }
  if (user.phone && user.phone_verified) {
    const to = user.phone;
    const reportUrl = await reportLink(context, user.id, notice.event, { channel: "sms", to }, restoreFor("phone", to));
    await context.services.send({ channel: "sms", to, template: notice.template, payload: { ...base, ...notice.extra, reportUrl } });
  }
}
