import { AsyncResource } from "node:async_hooks";
import os from "node:os";
import { setImmediate as nextTurn } from "node:timers/promises";
import { afterCommit, canRunAfterCommit, type Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import { sanitiseForLog, type Logger } from "~/log.server";
import { randomId, timeOrderedId } from "~/security/crypto.server";
import {
  claimOutboxBatch,
  insertClaimedOutboxMessage,
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
  const row = newRow(now, messageDomain, message);
  await insertOutboxMessage(db, { ...row, next_attempt_at: now });
  return row.id;
}

/**
 * `enqueue` for a process whose own worker sends its messages. When that worker is running and
 * not too far behind, the row is inserted already claimed by it and handed to it once the
 * transaction commits: the message goes out without a claim query, at a steady rate a query of
 * its own per message (docs/decisions/0034). Otherwise the row waits in the table like any
 * other and `kick` wakes the worker once the transaction has committed.
 */
export async function enqueueFor<T extends MessageName>(
  worker: OutboxWorker,
  db: Db,
  now: number,
  messageDomain: string,
  message: Enqueue<T>,
  kick: () => void,
): Promise<void> {
  const claim = canRunAfterCommit(db) ? worker.claimNew() : null;
  if (!claim) {
    await enqueue(db, now, messageDomain, message);
    return kick();
  }
  const row = await insertClaimedOutboxMessage(db, newRow(now, messageDomain, message), claim.claimer, claim.until);
  afterCommit(db, () => worker.handOff(row));
}

function newRow<T extends MessageName>(now: number, messageDomain: string, message: Enqueue<T>) {
  const id = timeOrderedId(now);
  return {
    id,
    channel: message.channel,
    recipient: message.to,
    template: message.template,
    payload: JSON.stringify(message.payload),
    message_id: `<${id}@${messageDomain}>`,
    created_at: now,
  };
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
  /**
   * How long the messages handed over by this process's requests are gathered before they start
   * (default 0: at once). The portal waits a few answer floors (`handOffDelayFor`), so the work a
   * known identifier's message causes (its send, the thread's reply, its settle) does not land on
   * the request right after it on the same connection, where the timing oracle found it (L5).
   */
  handOffDelayMs?: number;
};

/**
 * The portal's hand-off delay: three answer floors (`RECOVERY_ANSWER_MS`), and at least 15 ms.
 * A client sending request after request gets one per floor or a little more, so the work starts
 * two or three requests later, on one whose kind does not depend on the request that queued it.
 */
export const handOffDelayFor = (answerFloorMs: number): number => Math.max(15, 3 * answerFloorMs);

/**
 * Leases measure whether a worker is still alive, so they run on real time, never on the portal's
 * clock: that one decides when a message is due, and tests move it forward (a jump past a lease
 * would hand a message that is being sent to a second worker).
 */
const leaseClock = () => Date.now();

/**
 * Messages handed over (`handOff`) and not yet started, at most. Past it, new messages wait in the
 * table, where any worker may claim them: a process far behind does not hoard the queue.
 */
const HANDOFF_LIMIT = 256;

export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** A kick arrived during a pass: run another one at once instead of waiting for the poll. */
  private kicked = false;
  /** Sent messages waiting for their shared UPDATE (markSent). */
  private readonly sentBatch: { id: string; attempts: number; resolve: (settled: boolean) => void; reject: (err: unknown) => void }[] = [];
  /** Passes waiting for a message in flight to finish; a kick or a hand-off wakes them at once. */
  private readonly wakers = new Set<() => void>();
  /** Messages this process queued already claimed by this worker (`handOff`), not yet started. */
  private readonly handed: OutboxRow[] = [];
  /** Messages handed over in the last `handOffDelayMs`, and the timer that passes them on together. */
  private readonly gathering: OutboxRow[] = [];
  private gatherTimer: NodeJS.Timeout | undefined;
  /** Between start() and stop(): new messages may be claimed as they are inserted (`claimNew`). */
  private accepting = false;
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
    this.accepting = true;
    this.schedule(0);
  }

  /**
   * A claim for a message this process is about to queue, or null when this worker does not send
   * it at once: it is not running here (a web-only node, an operator command), it is stopping, or
   * HANDOFF_LIMIT messages handed to it are already waiting (the rest wait in the table, where any
   * worker may take them). The caller inserts the row with it and calls `handOff` after commit.
   */
  claimNew(): { claimer: string; until: number } | null {
    if (!this.accepting || this.handed.length + this.gathering.length >= HANDOFF_LIMIT) return null;
    return { claimer: this.claimer, until: leaseClock() + this.leaseMs };
  }

  /**
   * A message inserted with `claimNew`'s claim has committed: it is sent in turn, before the
   * table's queue is read again. If the worker stopped meanwhile, stop() gave the row back, or,
   * when it already had, the row's lease runs out and any worker sends it.
   */
  handOff(row: OutboxRow): void {
    if (!this.accepting) return;
    const delay = this.o.handOffDelayMs ?? 0;
    if (delay <= 0) return this.takeHanded([row]);
    this.gathering.push(row);
    this.gatherTimer ??= setTimeout(() => {
      this.gatherTimer = undefined;
      this.takeHanded(this.gathering.splice(0));
    }, delay);
  }

  private takeHanded(rows: OutboxRow[]): void {
    if (!this.accepting) return;
    for (const row of rows) this.handed.push(row);
    this.wake();
  }

  /** Ask for an early pass, e.g. right after a request enqueued something. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.kicked = true;
    this.wake();
  }

  /** Starts a pass, or wakes the one under way so that it looks at its queues again. */
  private wake(): void {
    if (this.running) for (const wake of this.wakers) wake();
    else this.detached(() => this.schedule(0));
  }

  /**
   * Stops polling and claiming, waits for the messages in flight (graceful shutdown, SIGTERM), then
   * gives back whatever this worker still holds (a settle that failed) so another worker sends it
   * without waiting for the lease.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.accepting = false;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    // Messages handed over but not started are among the claims given back here.
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    this.gathering.length = 0;
    this.handed.length = 0;
    const released = await releaseClaims(this.o.db, this.claimer, this.o.clock.now());
    if (released > 0) this.o.logger.warn({ released, claimer: this.claimer }, "outbox claims released");
  }

  /**
   * Runs one pass until nothing is due; used by the worker loop and by tests. Keeps up to
   * `concurrency` messages in flight: those handed over by this process (already claimed), and
   * those claimed from the table in batches (one conditional UPDATE each); sends each on its own
   * and settles each as it finishes. Returns how many it handled; after `stop()` it claims and
   * starts nothing more and returns once those in flight are settled.
   */
  async drain(): Promise<number> {
    const limit = this.limit;
    // Claim again once a quarter of the slots are free: batches, not one query per message.
    const refill = Math.max(1, Math.ceil(limit / 4));
    const inFlight = new Set<Promise<void>>();
    let handled = 0;
    const start = (row: OutboxRow) => {
      const delivery: Promise<void> = this.deliver(row)
        // Settling failed (the database): the row stays 'sending' until stop() releases it or
        // its lease runs out, then it is sent again.
        .catch((err) => this.o.logger.error({ outboxId: row.id, err: sanitiseForLog(String(err)) }, "outbox settle failed"))
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
      handled++;
    };
    // The table is read at the start of a pass, after a kick (a message queued there), while
    // claims come back full, and at least every pollMs while handed-over messages keep the pass
    // busy: retries coming due and other processes' messages wait no longer than when idle.
    let tableDue = true;
    let tableReadAt = 0;
    this.passStarted();
    try {
      for (;;) {
        if (this.kicked || performance.now() - tableReadAt >= this.o.pollMs) tableDue = true;
        const free = limit - inFlight.size;
        if (!this.stopped && tableDue && (inFlight.size === 0 || free >= refill)) {
          // This claim sees every message committed before it: the kicks so far are answered.
          this.kicked = false;
          tableReadAt = performance.now();
          const now = this.o.clock.now();
          const wall = leaseClock();
          const rows = await claimOutboxBatch(this.o.db, now, this.claimer, free, wall + this.leaseMs, wall);
          for (const row of rows) start(row);
          tableDue = rows.length === free;
        }
        // While the table is due, handed-over messages leave it `refill` slots to claim into.
        const room = tableDue ? limit - refill : limit;
        while (!this.stopped && inFlight.size < room && this.handed.length > 0) start(this.handed.shift()!);
        if (inFlight.size === 0) {
          if (this.stopped || (!tableDue && !this.kicked && this.handed.length === 0)) return handled;
          continue;
        }
        // A kick that arrived while the claim above ran may be for a row it did not see: claim again.
        if (this.kicked && !this.stopped && limit - inFlight.size >= refill) continue;
        // Until a message in flight finishes, or a kick or a hand-off says a new one is waiting:
        // under load a message in flight takes many turns of the event loop, and a new one used
        // to wait for it (request → SMTP accepted, issue 12).
        let wake: (() => void) | undefined;
        const woken = new Promise<void>((resolve) => (wake = resolve));
        this.wakers.add(wake!);
        try {
          await Promise.race([...inFlight, woken]);
        } finally {
          this.wakers.delete(wake!);
        }
      }
    } finally {
      this.passEnded();
    }
  }

  /**
   * `drain`, with the messages still being gathered (`handOffDelayMs`) taken at once: everything
   * queued so far goes out before it returns. For the test hook, whose callers read the mailbox next.
   */
  async drainNow(): Promise<number> {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    for (const row of this.gathering.splice(0)) this.handed.push(row);
    return this.drain();
  }

  /** Messages in flight at once, per pass (`concurrency`, default 32). */
  private get limit(): number {
    return Math.max(1, Math.floor(this.o.concurrency ?? 32));
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
          const again = this.kicked || this.handed.length > 0;
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
