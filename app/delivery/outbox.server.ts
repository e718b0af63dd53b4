import { AsyncResource } from "node:async_hooks";
import os from "node:os";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import { sanitiseForLog, type Logger } from "~/log.server";
import { randomId } from "~/security/crypto.server";
import {
  claimOutboxBatch,
  insertOutboxMessage,
  markOutboxFailed,
  markOutboxSentMany,
  releaseClaims,
  renewOutboxClaims,
  scheduleOutboxRetry,
  type Channel,
  type OutboxRow,
} from "~/stores/outbox.store";
import type { MessageName, OutgoingMessage } from "../../emails/index";

export type { Channel, OutboxRow } from "~/stores/outbox.store";

/**
 * Transactional outbox. A message is written in the same transaction as the event that caused it
 * and sent later by the worker, so requests never wait on SMTP or SMS (REQ-02, REQ-07). Delivery
 * is at-least-once with a stable Message-ID (and SMS id); the payload (which may hold a link token or a code)
 * is erased once the message is sent or given up on.
 */

/**
 * A message to queue, checked against its template: the payload is that message's props, and only
 * a message with an SMS form may go by SMS. The row still stores the name and the payload as JSON.
 */
export type Enqueue<T extends MessageName = MessageName> = OutgoingMessage<T>;

/** Inserts a message. Call inside the transaction of the event that causes it (pass that transaction). */
export async function enqueue<T extends MessageName>(db: Db, now: number, messageDomain: string, message: Enqueue<T>): Promise<string> {
  const id = randomId();
  await insertOutboxMessage(db, {
    id,
    channel: message.channel,
    recipient: message.to,
    template: message.template,
    payload: JSON.stringify(message.payload),
    message_id: `<${id}@${messageDomain}>`,
    next_attempt_at: now,
    created_at: now,
  });
  return id;
}

/** Sends one message; throws on failure. Implemented by the mail and SMS transports. */
export type Sender = (row: OutboxRow, payload: Record<string, unknown>) => Promise<void>;

export type WorkerOptions = {
  /** The root handle: the worker runs no transaction; it claims, sends, then settles. */
  db: Db;
  clock: Clock;
  logger: Logger;
  /** One sender per channel; 'webhook' (issue 17) only where webhooks are delivered. */
  senders: Record<Exclude<Channel, "webhook">, Sender> & Partial<Record<"webhook", Sender>>;
  pollMs: number;
  maxAttempts: number;
  /** Per-channel attempt limits instead of maxAttempts (webhooks retry for more than 24 h, 0020). */
  maxAttemptsByChannel?: Partial<Record<Channel, number>>;
  backoffBaseMs: number;
  /** Messages in flight at once (default 32): claimed in batches, each sent and settled on its own. */
  concurrency?: number;
  /**
   * How long a claim holds (default 60 s). The worker renews its claims every third of it while it
   * sends; a worker that dies stops renewing, and once its lease runs out any worker sends its
   * messages again. Shorter: a dead worker's messages leave sooner; longer: a stalled but living
   * worker is less likely to lose a message it is still sending (a rare duplicate).
   */
  leaseMs?: number;
  onResult?: (channel: Channel, outcome: "sent" | "retry" | "failed") => void;
};

/**
 * Leases measure whether a worker is still alive, so they run on real time, never on the portal's
 * clock: that one decides when a message is due, and tests move it forward (a jump past a lease
 * would hand a message that is being sent to a second worker).
 */
const leaseClock = () => Date.now();

export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** A kick arrived during a pass: run another one at once instead of waiting for the poll. */
  private kicked = false;
  /** Sent messages waiting for their shared UPDATE (markSent). */
  private readonly sentBatch: { id: string; attempts: number; resolve: (settled: boolean) => void; reject: (err: unknown) => void }[] = [];
  /** Passes waiting for a message in flight to finish; a kick wakes them to claim at once. */
  private readonly wakers = new Set<() => void>();
  /** This worker's name in claimed_by: unique per worker, readable in the table. */
  readonly claimer = `${os.hostname()}:${process.pid}:${randomId(6)}`;
  private readonly leaseMs: number;
  /** Passes under way (the loop's, the test hook's), and the timer renewing their leases. */
  private passes = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  // Passes run in the async context the worker was built in. A kick comes from a request, often
  // from inside its transaction; a pass started in that context would count as part of the
  // transaction and its root-handle queries would throw (sqlite-driver.server.ts).
  private readonly detached = AsyncResource.bind((fn: () => void) => fn());

  constructor(private readonly o: WorkerOptions) {
    this.leaseMs = Math.max(1000, Math.floor(o.leaseMs ?? 60_000));
  }

  /**
   * Starts polling. Nothing is requeued at start: another worker may be sending the rows in
   * 'sending'. A crashed process's rows are sent again once their lease runs out.
   */
  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
  }

  /** Ask for an early pass, e.g. right after a request enqueued something. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.kicked = true;
      for (const wake of this.wakers) wake();
    } else this.detached(() => this.schedule(0));
  }

  /**
   * Stops polling and claiming, waits for the messages in flight (graceful shutdown, SIGTERM), then
   * gives back whatever this worker still holds (a settle that failed) so another worker sends it
   * without waiting for the lease.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const released = await releaseClaims(this.o.db, this.claimer, this.o.clock.now());
    if (released > 0) this.o.logger.warn({ released, claimer: this.claimer }, "outbox claims released");
  }

  /**
   * Runs one pass until nothing is due; used by the worker loop and by tests. Keeps up to
   * `concurrency` messages in flight: claims them in batches (one conditional UPDATE each), sends
   * each on its own and settles each as it finishes. Returns how many it handled; after `stop()` it
   * claims nothing more and returns once those in flight are settled.
   */
  async drain(): Promise<number> {
    const limit = Math.max(1, Math.floor(this.o.concurrency ?? 32));
    // Claim again once a quarter of the slots are free: batches, not one query per message.
    const refill = Math.max(1, Math.ceil(limit / 4));
    const inFlight = new Set<Promise<void>>();
    let handled = 0;
    this.passStarted();
    try {
      for (;;) {
        if (!this.stopped && (inFlight.size === 0 || limit - inFlight.size >= refill)) {
          // This claim sees every message committed before it: the kicks so far are answered.
          this.kicked = false;
          const now = this.o.clock.now();
          const wall = leaseClock();
          const rows = await claimOutboxBatch(this.o.db, now, this.claimer, limit - inFlight.size, wall + this.leaseMs, wall);
          for (const row of rows) {
            const delivery: Promise<void> = this.deliver(row)
              // Settling failed (the database): the row stays 'sending' until stop() releases it or
              // its lease runs out, then it is sent again.
              .catch((err) => this.o.logger.error({ outboxId: row.id, err: sanitiseForLog(String(err)) }, "outbox settle failed"))
              .finally(() => inFlight.delete(delivery));
            inFlight.add(delivery);
          }
          handled += rows.length;
          if (rows.length === 0 && inFlight.size === 0) return handled;
        }
        if (inFlight.size === 0) return handled;
        // A kick that arrived while the claim above ran may be for a row it did not see: claim again.
        if (this.kicked && !this.stopped && limit - inFlight.size >= refill) continue;
        // Until a message in flight finishes, or a kick says a new one is waiting: under load a
        // message in flight takes many turns of the event loop, and a new one used to wait for it
        // (request → SMTP accepted, issue 12).
        let wake: (() => void) | undefined;
        const kicked = new Promise<void>((resolve) => (wake = resolve));
        this.wakers.add(wake!);
        try {
          await Promise.race([...inFlight, kicked]);
        } finally {
          this.wakers.delete(wake!);
        }
      }
    } finally {
      this.passEnded();
    }
  }

  /**
   * Records a message as sent. Messages whose sends finish in the same turn of the event loop (the
   * e-mail thread answers in bursts) share one UPDATE and one commit, which was the request
   * thread's largest cost per e-mail; each still learns whether it was the one that settled its row.
   */
  private markSent(id: string, attempts: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.sentBatch.push({ id, attempts, resolve, reject });
      if (this.sentBatch.length === 1) setImmediate(() => void this.flushSent());
    });
  }

  private async flushSent(): Promise<void> {
    const batch = this.sentBatch.splice(0);
    try {
      const settled = await markOutboxSentMany(this.o.db, batch, this.o.clock.now());
      for (const b of batch) b.resolve(settled.has(b.id));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  /** While a pass runs, its claims are renewed every third of the lease. */
  private passStarted(): void {
    if (this.passes++ > 0) return;
    this.renewTimer = setInterval(() => {
      renewOutboxClaims(this.o.db, this.claimer, leaseClock() + this.leaseMs).catch((err) =>
        this.o.logger.error({ err: sanitiseForLog(String(err)) }, "outbox lease renewal failed"),
      );
    }, Math.floor(this.leaseMs / 3));
    this.renewTimer.unref?.();
  }

  private passEnded(): void {
    if (--this.passes > 0) return;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
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
          const again = this.kicked;
          this.kicked = false;
          if (!this.stopped) this.schedule(again ? 0 : this.o.pollMs);
        });
    }, delay);
    this.timer.unref?.();
  }

  /** A failed try by a worker whose lease ran out: the row's new holder decides; nothing is changed. */
  private claimLost(row: OutboxRow): void {
    this.o.logger.warn({ outboxId: row.id, channel: row.channel, claimer: this.claimer }, "message failed after its claim was lost; left to its new holder");
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { db, clock, logger } = this.o;
    const attempts = row.attempts + 1;
    // Fair share on the request thread: each message starts in its own turn of the event loop,
    // after the I/O already waiting, so a batch never holds requests up for long (0012). E-mails
    // are rendered and sent in their own thread (0014); SMS are rendered here.
    await nextTurn();
    try {
      const payload = row.payload ? (JSON.parse(row.payload) as Record<string, unknown>) : {};
      // Outside any transaction: a slow SMTP server or SMS provider holds no database lock.
      const sender = this.o.senders[row.channel];
      if (!sender) throw new Error(`no sender for channel ${row.channel}`);
      await sender(row, payload);
      if (!(await this.markSent(row.id, attempts))) {
        // Our lease ran out and another worker settled the row first: it went out twice (same Message-ID).
        logger.warn({ outboxId: row.id, channel: row.channel, claimer: this.claimer }, "message sent after its claim was lost");
        return;
      }
      logger.info({ outboxId: row.id, channel: row.channel, template: row.template, attempts }, "message sent");
      this.o.onResult?.(row.channel, "sent");
    } catch (err) {
      // A provider's error may echo the message (its link or code) or the number: keep it out of
      // the log and of last_error (LOG-02).
      const error = sanitiseForLog(err instanceof Error ? err.message : String(err), 300);
      if (attempts >= (this.o.maxAttemptsByChannel?.[row.channel] ?? this.o.maxAttempts)) {
        if (!(await markOutboxFailed(db, row.id, this.claimer, attempts, error.slice(0, 500)))) return this.claimLost(row);
        logger.error({ outboxId: row.id, channel: row.channel, template: row.template, attempts, error }, "message given up");
        this.o.onResult?.(row.channel, "failed");
      } else {
        // Exponential backoff with jitter, capped at 15 minutes.
        const delay = Math.min(this.o.backoffBaseMs * 2 ** (attempts - 1), 15 * 60_000) * (0.8 + Math.random() * 0.4);
        if (!(await scheduleOutboxRetry(db, row.id, this.claimer, attempts, clock.now() + Math.round(delay), error.slice(0, 500)))) return this.claimLost(row);
        logger.warn({ outboxId: row.id, channel: row.channel, template: row.template, attempts, error }, "message send failed, will retry");
        this.o.onResult?.(row.channel, "retry");
      }
    }
  }
}
