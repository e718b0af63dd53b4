import { renderSms } from "../../../emails/index";
import { smsAllowed } from "../sms-guard.server";
import type { Channel } from "./channel";

export const smsChannel: Channel = {
  id: "sms",
  destinationOf: (account) => (account.phone && account.phone_verified ? account.phone : null),
  // Toll-fraud (SMS pumping) rules: allowed countries, per-number and global budgets.
  allowed: (context, destination) => smsAllowed(context, destination),
  render: async (template, payload) => ({ text: renderSms(template, payload) }),
};
