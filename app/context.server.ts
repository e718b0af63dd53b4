import type { Services } from "~/services.server";
import { transaction } from "~/db/db.server";

/** What server.ts hands to every loader and action (see getLoadContext there). */
export type RequestContext = {
  services: Services;
  nonce: string;
  requestId: string;
  clientIp: string;
  /** The client as per-client rate limits key it: the address, or its /64 for IPv6 (L4). */
  clientKey: string;
  userAgent: string;
};

/**
 * Runs `work` in one database transaction, handing it a copy of the context whose `services.db`
 * (and `services.send`) is the transaction. Pass that copy, never the outer context, to everything
 * called inside; a query through the outer handle there throws instead of waiting for ever.
 * Only database work belongs inside: hash, render and call the network before or after.
 */
export function inTransaction<C extends RequestContext, T>(context: C, work: (tx: C) => Promise<T>): Promise<T> {
  return transaction(context.services.db, (trx) => work({ ...context, services: context.services.withDb(trx) }));
}

declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends RequestContext {}
  interface Future {
    v3_singleFetch: true;
  }
}
