import type { Config } from "~/config.server";
import { SystemClock } from "~/clock.server";
import { connect, migrate, type Db } from "~/db/db.server";
import { createLogger, type Logger } from "~/log.server";
import { createMetrics } from "~/metrics.server";
import { OutboxWorker, handOffDelayFor } from "~/delivery/outbox.server";
import { bindServices, type Services } from "~/bind-services.server";
import { createThreadedEmailSender } from "~/delivery/email-thread.server";
import type { CheckpointHost } from "~/db/wal-checkpoints.server";
import { emailBrandOf } from "~/brand.server";
import { setEmailBrand } from "../emails/brand";
import { createSmsSender } from "~/delivery/sms.server";
import { startDevMailbox } from "~/delivery/dev-mailbox.server";
import { createLimits } from "~/limits/limits.server";
import { attachAudit, logAuditCheckpoint } from "~/audit/audit.server";
import { createWebhookSender } from "~/webhooks/sender.server";
import { notifyWebhookDisabled, webhookRules } from "~/support/webhooks.server";

export type { Services } from "~/bind-services.server";

export async function createServices(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Services> {
  // Production trades the instant "root handle inside a transaction" error for speed; tests and
  // development keep it, and a wait past 10 s still fails loudly (docs/decisions/0010).
  const connection = connect(config, {
    lock: { trackHolder: !config.isProduction, waitLimitMs: 10_000 },
    poolSize: config.databasePoolSize,
    // SQLite: a saturated request thread leaves copying the WAL to the e-mail thread (docs/decisions/0029).
    checkpoints: { onError: (error) => logger.warn({ error: error.message }, "WAL checkpoint loop failed; checkpoints stay on the request thread for a minute") },
  });
  const db = connection.db;
  const migrated = await migrate(connection);
  await attachAudit(db, { secretKey: config.secretKey, logger, migrated });
  const clock = new SystemClock();
  const metrics = createMetrics();
  const { worker, devMailbox, checkpointHost, close: closeDelivery } = await createDelivery(config, db, clock, logger, metrics, { devMailbox: true });
  if (connection.engine === "sqlite") connection.checkpoints?.attach(checkpointHost);
  const limits = createLimits(connection, config);
  return bindServices(
    {
      config,
      connection,
      clock,
      logger,
      metrics,
      limits,
      worker,
      devMailboxPort: devMailbox?.port ?? null,
      async close() {
        // The checkpoint loop first, so that no late request starts it on a closing e-mail thread.
        if (connection.engine === "sqlite") connection.checkpoints?.close();
        await closeDelivery();
        await limits.close();
        // The last head this process saw, for `audit verify --since-checkpoint` (L6).
        await logAuditCheckpoint(db, "shutdown");
        await connection.close();
      },
    },
    db,
    // Wake the worker after the surrounding transaction commits; a web-only node (OUTBOX_WORKER=0)
    // leaves its messages to the worker processes.
    () => {
      if (config.outbox.worker) setImmediate(() => worker.kick());
    },
  );
}

/**
 * The outbox worker and its senders, as the server and `portal worker` both run them: e-mails
 * through the e-mail thread to SMTP_URL (or, outside production and when `devMailbox` allows, an
 * embedded development mailbox), SMS through the configured provider. `close` stops the worker
 * (messages in flight settle, remaining claims are given back), then the senders.
 */
export async function createDelivery(
  config: Config,
  db: Db,
  clock: SystemClock,
  logger: Logger,
  metrics: ReturnType<typeof createMetrics>,
  options: { devMailbox: boolean },
): Promise<{ worker: OutboxWorker; devMailbox: { port: number } | null; checkpointHost: CheckpointHost; close: () => Promise<void> }> {
  let devMailbox: Awaited<ReturnType<typeof startDevMailbox>> | null = null;
  let smtpUrl = config.smtpUrl;
  if (!smtpUrl) {
    if (config.isProduction) throw new Error("SMTP_URL: required when NODE_ENV=production");
    if (!options.devMailbox) throw new Error("SMTP_URL: required for a worker process");
    devMailbox = await startDevMailbox(db, clock);
    smtpUrl = `smtp://127.0.0.1:${devMailbox.port}`;
  }
  // Branding reaches the e-mails once, here: the thread gets it with its SMTP settings, and this
  // thread too (a message rendered here, e.g. by a channel, looks the same).
  const brand = emailBrandOf(config.brand, config.appOrigin);
  setEmailBrand(brand);
  const email = createThreadedEmailSender({ smtpUrl, from: config.mailFrom, ignoreTLS: devMailbox !== null, brand });
  const sms = createSmsSender(config, db, clock, logger);
  // Webhooks (issue 17): signed POSTs with a timeout, retried by the outbox like any message.
  const webhook = createWebhookSender({
    db,
    clock,
    logger,
    secretKey: config.secretKey,
    rules: webhookRules(config),
    timeoutMs: config.webhooks.timeoutMs,
    onDisabled: (endpoint, failingSince) => notifyWebhookDisabled(db, clock.now(), config, endpoint, failingSince),
  });

  const worker = new OutboxWorker({
    db,
    clock,
    logger,
    senders: { email: email.send, sms, webhook },
    pollMs: config.outbox.pollMs,
    maxAttempts: config.outbox.maxAttempts,
    maxAttemptsByChannel: { webhook: config.webhooks.maxAttempts },
    backoffBaseMs: config.outbox.backoffBaseMs,
    leaseMs: config.outbox.leaseMs,
    onResult: (channel, outcome) => metrics.messages.inc({ channel, outcome }),
    handOffDelayMs: handOffDelayFor(config.recovery.answerFloorMs),
  });
  return {
    worker,
    devMailbox,
    // The e-mail thread also runs the WAL checkpoint loop (docs/decisions/0029).
    checkpointHost: email.checkpoints,
    async close() {
      await worker.stop();
      await email.close();
      await devMailbox?.close();
    },
  };
}
