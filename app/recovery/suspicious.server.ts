import type { RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { clientKey } from "~/limits/client-key";
import { hmacHex } from "~/security/crypto.server";
import { noteRecoveryNetwork } from "~/lockout/lockout.server";
import { sendLockNotice } from "~/notices/account-locks.server";
import { recordEvent } from "~/audit/events.server";

/** The client's network as the suspicious-activity rule counts it: its /24 for IPv4, its /64 for IPv6. */
export function clientNetwork(ip: string): string {
  const key = clientKey(ip);
  const v4 = /^(\d+\.\d+\.\d+)\.\d+$/.exec(key);
  return v4 ? `${v4[1]}.0/24` : key;
}

/** A keyed hash of the client's network (like the limiters' keys): the table never holds an address. */
export function networkTag(context: RequestContext): string {
  return hmacHex(context.services.config.secretKey, `recovery-network:${clientNetwork(context.clientIp)}`).slice(0, 40);
}

/**
 * Feeds the suspicious-activity rule (see noteRecoveryNetwork) with a recovery request for one
 * account, inside the request's transaction (pass its `tx`; compute `tag` before it). When the
 * rule locks the account, the lock, its audit row and the customer's notice commit with the
 * request. The requester's answer does not change: it never learns of the lock (REQ-01/02).
 */
export async function noteRecoveryRequest(tx: RequestContext, user: User, tag: string, now: number): Promise<void> {
  const lock = await noteRecoveryNetwork(tx.services.db, tx.services.config, {
    userId: user.id,
    networkHash: tag,
    now,
    ip: tx.clientIp,
    userAgent: tx.userAgent,
  });
  if (!lock) return;
  await recordEvent(tx, {
    event: "account_locked",
    outcome: "info",
    userId: user.id,
    actorType: "system",
    details: { reason: "suspicious_activity", lock_id: lock.id, networks: JSON.parse(lock.details).networks },
  });
  await sendLockNotice(tx, user, lock);
}
