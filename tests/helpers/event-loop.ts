import { setTimeout as sleep } from "node:timers/promises";
import { transaction, type Db } from "~/db/db.server";

/**
 * Makes the event loop look saturated to `handle`'s connection (the group commit's test,
 * docs/decisions/0027): after a quiet pause, one transaction (it commits alone) starts a fresh
 * measuring window, then 25 ms of work follow without a wait. Transactions started right after
 * this resolves (same turn, no await in between) share a batch.
 */
export async function saturate(handle: Db, write: (trx: Db) => Promise<unknown>): Promise<void> {
  await sleep(30);
  await transaction(handle, write);
  for (const until = performance.now() + 25; performance.now() < until; );
}
