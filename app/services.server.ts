import type { Config } from "~/config.server";
import { SystemClock } from "~/clock.server";
import { migrate, openDatabase, type Connection, type Db } from "~/db/db.server";
import { createLogger, type Logger } from "~/log.server";
import { createMetrics, type Metrics } from "~/metrics.server";
import { OutboxWorker, enqueue, type Enqueue } from "~/delivery/outbox.server";
import type { MessageName } from "../emails/index";
import { createEmailSender } from "~/delivery/transports.server";
import { createSmsSender } from "~/delivery/sms.server";
import { startDevMailbox } from "~/delivery/dev-mailbox.server";
import { createLimits, type Limits } from "~/limits/limits.server";
import { attachAudit, logAuditCheckpoint } from "~/audit/audit.server";

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

export async function createServices(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Services> {
  const connection = openDatabase(config.databasePath);
  const db = connection.db;
  const migrated = await migrate(connection);
  await attachAudit(db, { secretKey: config.secretKey, logger, migrated });
  const clock = new SystemClock();
  const metrics = createMetrics();

  let devMailbox: Awaited<ReturnType<typeof startDevMailbox>> | null = null;
  let smtpUrl = config.smtpUrl;
  if (!smtpUrl) {
    if (config.isProduction) throw new Error("SMTP_URL: required when NODE_ENV=production");
    devMailbox = await startDevMailbox(db, clock);
    smtpUrl = `smtp://127.0.0.1:${devMailbox.port}`;
  }
  const email = createEmailSender({ smtpUrl, from: config.mailFrom, ignoreTLS: devMailbox !== null });
  const sms = createSmsSender(config, db, clock, logger);

  const worker = new OutboxWorker({
    db,
    clock,
    logger,
    senders: { email: email.send, sms },
    pollMs: config.outbox.pollMs,
    maxAttempts: config.outbox.maxAttempts,
    backoffBaseMs: config.outbox.backoffBaseMs,
    onResult: (channel, outcome) => metrics.messages.inc({ channel, outcome }),
  });
  const limits = createLimits(connection, config);
  const messageDomain = new URL(config.appOrigin).hostname;

  const bind = (handle: Db): Services => ({
    config,
    db: handle,
    connection,
    clock,
    logger,
    metrics,
    limits,
    worker,
    devMailboxPort: devMailbox?.port ?? null,
    async send(message) {
      await enqueue(handle, clock.now(), messageDomain, message);
      // Wake the worker after the surrounding transaction commits.
      setImmediate(() => worker.kick());
    },
    withDb: bind,
    async close() {
      await worker.stop();
      email.close();
      await devMailbox?.close();
      await limits.close();
      // The last head this process saw, for `audit verify --since-checkpoint` (L6).
      await logAuditCheckpoint(db, "shutdown");
      await connection.close();
    },
  });
  return bind(db);
}
