import { inTransaction, type RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { describeBrowser } from "~/http/user-agent";
import { approximateNetwork } from "~/http/network.server";
import { recordEvent } from "~/audit/events.server";
import { markSignedIn } from "~/stores/users.store";
import { reportLink } from "./report-links.server";
import { messageTime } from "./message-locale";

export type NewDeviceNotice = "sent" | "known-device" | "first-sign-in" | "turned-off" | "no-verified-email";

/**
 * After every completed sign-in (issue 15): a browser with no device cookie for this account
 * gets the account's verified e-mail told, with time, browser, approximate network and a "This
 * wasn't me" link. Not on the account's very first sign-in (there is no earlier browser to
 * compare with, and a new account's owner has just made it), and not when the customer turned
 * these notices off on /account/security. Security-critical notices (password, contact, factor
 * changes, locks) do not pass through here and cannot be turned off.
 */
export async function afterSignIn(context: RequestContext, user: User, newDevice: boolean): Promise<NewDeviceNotice> {
  const { config, clock } = context.services;
  return inTransaction(context, async (tx): Promise<NewDeviceNotice> => {
    const first = await markSignedIn(tx.services.db, user.id);
    if (!newDevice) return "known-device";
    if (first) return "first-sign-in";
    if (user.new_device_notices === 0) return "turned-off";
    if (!user.email_verified) return "no-verified-email";
    const to = user.email;
    const reportUrl = await reportLink(tx, user.id, "new_device_sign_in", { channel: "email", to });
    await tx.services.send({
      channel: "email",
      to,
      template: "new-device-sign-in",
      payload: {
        appName: config.appName,
        username: user.username,
        when: messageTime(user.locale ?? config.defaultLocale, clock.now()),
        browser: describeBrowser(context.userAgent),
        network: approximateNetwork(context.clientIp),
        reportUrl,
        supportEmail: config.supportEmail,
        settingsUrl: `${config.appOrigin}/account/security`,
        locale: user.locale ?? config.defaultLocale,
      },
    });
    await recordEvent(tx, { event: "new_device_notice_sent", outcome: "info", userId: user.id, actorType: "system" });
    return "sent";
  });
}
