import type { Config } from "~/config.server";
import { SystemClock } from "~/clock.server";
import { migrate, openDatabase, type Db } from "~/db/db.server";
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
  db: Db;
  clock: SystemClock;
  logger: Logger;
  metrics: Metrics;
  limits: Limits;
  worker: OutboxWorker;
  /** Queue a message in the caller's transaction and wake the worker. */
  send: <T extends MessageName>(message: Enqueue<T>) => void;
  devMailboxPort: number | null;
  close: () => Promise<void>;
};

export async function createServices(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Services> {
  const db = openDatabase(config.databasePath);
  const migrated = migrate(db);
  attachAudit(db, { secretKey: config.secretKey, logger, migrated });
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
  const limits = createLimits(db, config);
  const messageDomain = new URL(config.appOrigin).hostname;

  return {
    config,
    db,
    clock,
    logger,
    metrics,
    limits,
    worker,
    devMailboxPort: devMailbox?.port ?? null,
    send(message) {
      enqueue(db, clock.now(), messageDomain, message);
      // Wake the worker after the surrounding transaction commits.
      setImmediate(() => worker.kick());
    },
    async close() {
      await worker.stop();
      email.close();
      await devMailbox?.close();
      await limits.close();
      // The last head this process saw, for `audit verify --since-checkpoint` (L6).
      logAuditCheckpoint(db, "shutdown");
      db.close();
    },
  };
}
