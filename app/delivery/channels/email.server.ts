import { renderEmail } from "../../../emails/index";
import type { Channel } from "./channel";

export const emailChannel: Channel = {
  id: "email",
  destinationOf: (account) => (account.email_verified ? account.email : null),
  allowed: async () => true,
  render: async (template, payload) => renderEmail(template, payload),
};
