import os from "node:os";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import { sanitiseForLog, type Logger } from "~/log.server";
import { randomId } from "~/security/crypto.server";
import type { MessageName, OutgoingMessage } from "../../emails/index";

/**
 * Transactional outbox. A message is written in the same transaction as the event that caused it
 * and sent later by the worker, so requests never wait on SMTP or SMS (REQ-02, REQ-07). Delivery
 * is at-least-once with a stable Message-ID; the payload (which may hold a link token or a code)
 * is erased once the message is sent or given up on.
 */

export type Channel = "email" | "sms";

export type OutboxRow = {
  id: string;
  channel: Channel;
  recipient: string;
  template: string;
  payload: string | null;
  message_id: string;
  status: "pending" | "sending" | "sent" | "failed";
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
};

/**
 * A message to queue, checked against its template: the payload is that message's props, and only
 * a message with an SMS form may go by SMS. The row still stores the name and the payload as JSON.
 */
export type Enqueue<T extends MessageName = MessageName> = OutgoingMessage<T>;

/** Inserts a message. Call inside the transaction of the event that causes it. */
export function enqueue<T extends MessageName>(db: Db, now: number, messageDomain: string, message: Enqueue<T>): string {
  const id = randomId();
  db.prepare(
    `INSERT INTO outbox (id, channel, recipient, template, payload, message_id, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
  ).run(id, message.channel, message.to, message.template, JSON.stringify(message.payload), `<${id}@${messageDomain}>`, now, now);
  return id;
}

/** Sends one message; throws on failure. Implemented by the mail and SMS transports. */
export type Sender = (row: OutboxRow, payload: Record<string, unknown>) => Promise<void>;

export type WorkerOptions = {
  db: Db;
  clock: Clock;
  logger: Logger;
  senders: Record<Channel, Sender>;
  pollMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  onResult?: (channel: Channel, outcome: "sent" | "retry" | "failed") => void;
};

export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly claimer = `${os.hostname()}:${process.pid}:${randomId(6)}`;

  constructor(private readonly o: WorkerOptions) {}

  start(): void {
    this.stopped = false;
    // A crash mid-send leaves rows in 'sending'; put them back so they are retried (at-least-once).
    this.o.db.prepare("UPDATE outbox SET status = 'pending' WHERE status = 'sending'").run();
    this.schedule(0);
  }

  /** Ask for an early pass, e.g. right after a request enqueued something. */
  kick(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  /** Stops polling and waits for the message being sent, if any (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Runs one pass; used by the worker loop and by tests. */
  async drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const row = this.claim();
      if (!row) return sent;
      await this.deliver(row);
      sent++;
      if (this.stopped) return sent;
    }
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain()
        .then(() => undefined)
        .catch((err) => this.o.logger.error({ err: sanitiseForLog(String(err)) }, "outbox pass failed"))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.o.pollMs);
        });
    }, delay);
    this.timer.unref?.();
  }

  private claim(): OutboxRow | undefined {
    const { db, clock } = this.o;
    return db.transaction(() => {
      const row = db
        .prepare("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT 1")
        .get(clock.now()) as OutboxRow | undefined;
      if (!row) return undefined;
      db.prepare("UPDATE outbox SET status = 'sending', last_error = ? WHERE id = ?").run(`claimed by ${this.claimer}`, row.id);
      return row;
    }).immediate();
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { db, clock, logger } = this.o;
    const attempts = row.attempts + 1;
    try {
      const payload = row.payload ? (JSON.parse(row.payload) as Record<string, unknown>) : {};
      await this.o.senders[row.channel](row, payload);
      db.prepare("UPDATE outbox SET status = 'sent', attempts = ?, payload = NULL, last_error = NULL, sent_at = ? WHERE id = ?").run(
        attempts,
        clock.now(),
        row.id,
      );
      logger.info({ outboxId: row.id, channel: row.channel, template: row.template, attempts }, "message sent");
      this.o.onResult?.(row.channel, "sent");
    } catch (err) {
      // A provider's error may echo the message (its link or code) or the number: keep it out of
      // the log and of last_error (LOG-02).
      const error = sanitiseForLog(err instanceof Error ? err.message : String(err), 300);
      if (attempts >= this.o.maxAttempts) {
        db.prepare("UPDATE outbox SET status = 'failed', attempts = ?, payload = NULL, last_error = ? WHERE id = ?").run(
          attempts,
          error.slice(0, 500),
          row.id,
        );
        logger.error({ outboxId: row.id, channel: row.channel, template: row.template, attempts, error }, "message given up");
        this.o.onResult?.(row.channel, "failed");
      } else {
        // Exponential backoff with jitter, capped at 15 minutes.
        const delay = Math.min(this.o.backoffBaseMs * 2 ** (attempts - 1), 15 * 60_000) * (0.8 + Math.random() * 0.4);
        db.prepare("UPDATE outbox SET status = 'pending', attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?").run(
          attempts,
          clock.now() + Math.round(delay),
          error.slice(0, 500),
          row.id,
        );
        logger.warn({ outboxId: row.id, channel: row.channel, template: row.template, attempts, error }, "message send failed, will retry");
        this.o.onResult?.(row.channel, "retry");
      }
    }
  }
}
