import type { Config } from "~/config.server";
import type { SystemClock } from "~/clock.server";
import type { Connection, Db } from "~/db/db.server";
import { enqueueFor, type Enqueue, type OutboxWorker } from "~/delivery/outbox.server";
import type { Limits } from "~/limits/limits.server";
import type { Logger } from "~/log.server";
import type { Metrics } from "~/metrics.server";
import type { MessageName } from "../emails/index";

/**
 * Everything with state lives here and is built once per process by server.ts, then handed to
 * routes through Remix's load context. Modules stay stateless functions over these services, so
 * the Remix bundle and server.ts never hold two copies of the database or the clock.
 */
export type Services = {
  config: Config;
  /** The root handle; inside a transaction, the transaction (see `withDb` and inTransaction). */
  db: Db;
  connection: Connection;
  clock: SystemClock;
  logger: Logger;
  metrics: Metrics;
  limits: Limits;
  worker: OutboxWorker;
  /** Queue a message on `db` (so in the caller's transaction, when there is one) and wake the worker. */
  send: <T extends MessageName>(message: Enqueue<T>) => Promise<void>;
  /** The same services with `db` and `send` bound to a transaction. */
  withDb: (db: Db) => Services;
  devMailboxPort: number | null;
  close: () => Promise<void>;
};


/**
 * Services with `db` and `send` bound to a handle, and `withDb` to bind them to a transaction.
 * The portal and operator commands build their parts differently and bind them here the same way.
 * `queued` runs after a message is queued in the table (the portal wakes its worker); a message
 * this process's running worker claimed as it was queued is handed to it instead.
 */
export function bindServices(parts: Omit<Services, "db" | "send" | "withDb">, root: Db, queued: () => void = () => {}): Services {
  const messageDomain = new URL(parts.config.appOrigin).hostname;
  const bind = (handle: Db): Services => ({
    ...parts,
    db: handle,
    send: (message) => enqueueFor(parts.worker, handle, parts.clock.now(), messageDomain, message, queued),
    withDb: bind,
  });
  return bind(root);
}
