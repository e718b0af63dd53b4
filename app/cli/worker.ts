import type { Config } from "~/config.server";
import { SystemClock } from "~/clock.server";
import type { Connection } from "~/db/db.server";
import { createLogger } from "~/log.server";
import { createMetrics } from "~/metrics.server";
import { createDelivery } from "~/services.server";
import { createOperatorServices } from "~/cli/services";
import { startEscalationSweep } from "~/tickets/escalation.server";

/**
 * `npm run portal -- worker`: a process that only sends queued messages, beside web-only nodes
 * (OUTBOX_WORKER=0) or other workers on one PostgreSQL database. It runs the same worker and
 * senders as the server (SMTP_URL required: it has no development mailbox) until SIGTERM or
 * SIGINT, then lets the messages in flight settle, gives back the claims it still holds and
 * returns (exit 0). The connection is already migrated; the caller closes it.
 */
export async function runWorker(config: Config, connection: Connection): Promise<void> {
  const logger = createLogger(config.logLevel);
  const delivery = await createDelivery(config, connection.db, new SystemClock(), logger, createMetrics(), { devMailbox: false });
  const signal = new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  // The worker's timers do not keep a process alive (they must not in the server's tests); this does.
  const alive = setInterval(() => {}, 60 * 60_000);
  await delivery.worker.start();
  // The SLA escalation sweep runs wherever the outbox worker does; its e-mails are queued here.
  const sweep = startEscalationSweep(createOperatorServices(config, connection, logger), config.tickets.escalationSweepMs);
  process.stdout.write(`outbox worker ${delivery.worker.claimer} started (${connection.engine}, lease ${config.outbox.leaseMs / 1000} s); SIGTERM stops it\n`);
  const received = await signal;
  clearInterval(alive);
  logger.info({ signal: received }, "outbox worker stopping: settling messages in flight");
  await sweep.stop();
  await delivery.close();
  logger.info({ signal: received }, "outbox worker stopped");
}
