import type { Channel, ChannelId } from "./channel";
import { emailChannel } from "./email.server";
import { smsChannel } from "./sms.server";

export type { Channel, ChannelId, Reachable, Rendered } from "./channel";

export const CHANNELS: Record<ChannelId, Channel> = { email: emailChannel, sms: smsChannel };
