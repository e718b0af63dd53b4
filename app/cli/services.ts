import type { Config } from "~/config.server";
import { SystemClock } from "~/clock.server";
import type { Connection } from "~/db/db.server";
import type { Logger } from "~/log.server";
import { createMetrics } from "~/metrics.server";
import { OutboxWorker } from "~/delivery/outbox.server";
import { bindServices } from "~/bind-services.server";
import type { Limits } from "~/limits/limits.server";
import type { Services } from "~/bind-services.server";

const notForOperators = async (): Promise<never> => {
  throw new Error("not available to operator commands: the running portal does this");
};

/**
 * The services an operator command runs domain functions on: the command's own
 * connection (already migrated, audit attached), the system clock, and a logger the caller picks
 * (the CLI's is silent: a command's stdout is its answer). No rate limits, no worker and no mail
 * transport: `send` only queues, and the running portal delivers, as `mail test` always did.
 */
export function createOperatorServices(config: Config, connection: Connection, logger: Logger): Services {
  const clock = new SystemClock();
  const metrics = createMetrics();
  const limits: Limits = { store: "sqlite", consume: notForOperators, consumeEach: notForOperators, check: notForOperators, refund: notForOperators, reset: notForOperators, ping: async () => {}, close: async () => {} };
  const worker = new OutboxWorker({
    db: connection.db,
    clock,
    logger,
    senders: { email: notForOperators, sms: notForOperators },
    pollMs: config.outbox.pollMs,
    maxAttempts: config.outbox.maxAttempts,
    backoffBaseMs: config.outbox.backoffBaseMs,
  });
  return bindServices(
    { config, connection, clock, logger, metrics, limits, worker, devMailboxPort: null, close: () => connection.close() },
    connection.db,
  );
}
