import type { RequestContext } from "~/context.server";

/**
 * A way to reach a customer: e-mail or SMS today. Everything that differs between channels is
 * here, so the recovery journey, notices and support never ask "is this SMS?":
 * where the channel reaches an account, whether a destination may be sent to now, and how a
 * queued message is rendered for it. Adding a channel is one file here, its row in `CHANNELS`
 * (index.server.ts), its transport, and its text in each message that should use it (emails/).
 */
export type ChannelId = "email" | "sms";

/** The contact fields of an account, as the accounts store holds them. */
export type Reachable = { email: string; email_verified: number; phone: string | null; phone_verified: number };

export type Rendered = { subject?: string; html?: string; text: string };

export interface Channel {
  readonly id: ChannelId;
  /** The verified contact this channel reaches an account at, or null. */
  destinationOf(account: Reachable): string | null;
  /** Rules of the destination itself, beyond the per-destination budgets every channel shares. */
  allowed(context: RequestContext, destination: string): Promise<boolean>;
  render(template: string, payload: Record<string, unknown>): Promise<Rendered>;
}
