import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate, openDatabase, type Connection, type Db } from "~/db/db.server";
import { createLogger } from "~/log.server";
import { OutboxWorker, enqueue, type OutboxRow, type Sender } from "~/delivery/outbox.server";
import { createThreadedEmailSender } from "~/delivery/email-thread.server";
import { codeIn, linkIn, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 12: the portal renders and sends e-mails in a worker thread (docs/decisions/0014), so a
 * saturated request thread does not hold them up. The thread is real here: a worker_threads Worker
 * loading the e-mail transport, sending to a real SMTP sink on loopback.
 */

let dir: string;
let connection: Connection;
let db: Db;
let sink: SmtpSink;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-email-thread-"));
  connection = openDatabase(path.join(dir, "portal.sqlite"));
  db = connection.db;
  await migrate(connection);
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const reset = (i: number) =>
  ({
    channel: "email",
    to: `thread${i}@example.test`,
    template: "password-reset",
    payload: {
      appName: "Thread Test",
      username: `user_${i}`,
      link: `https://portal.example/reset/thr${i}abcdefghijklmnop`,
      code: String(200000 + i),
      minutes: 30,
      codeMinutes: 10,
      supportUrl: "https://portal.example/help",
    },
  }) as const;

const rows = () => connection.raw.prepare("SELECT * FROM outbox ORDER BY created_at, id").all() as OutboxRow[];

function outbox(send: Sender) {
  return new OutboxWorker({
    db,
    clock: { now: () => Date.now() },
    logger: createLogger("silent"),
    senders: { email: send, sms: send },
    pollMs: 60_000,
    maxAttempts: 3,
    backoffBaseMs: 60_000,
  });
}

describe("e-mail thread", () => {
  test("the outbox's e-mails are rendered and sent by the thread: each once, with its Message-ID, readable by the customer", async () => {
    connection.raw.prepare("DELETE FROM outbox").run();
    sink.messages.length = 0;
    for (let i = 0; i < 25; i++) await enqueue(db, Date.now(), "example.test", reset(i));
    const email = createThreadedEmailSender({ smtpUrl: sink.url, from: "Test <no-reply@example.test>", ignoreTLS: true, maxConnections: 2 });
    try {
      expect(await outbox(email.send).drain()).toBe(25);
    } finally {
      await email.close();
    }
    expect(sink.messages).toHaveLength(25);
    const byId = new Map(rows().map((r) => [r.message_id, r]));
    for (const mail of sink.messages) {
      const row = byId.get(mail.messageId!)!;
      expect(row).toMatchObject({ status: "sent", attempts: 1, payload: null, last_error: null });
      const i = Number(row.recipient.match(/\d+/)![0]);
      expect(mail.to).toEqual([`thread${i}@example.test`]);
      expect(mail.subject).toBeTruthy();
      expect(linkIn(mail, "/reset/")).toBe(`https://portal.example/reset/thr${i}abcdefghijklmnop`);
      expect(codeIn(mail)).toBe(String(200000 + i));
      expect(mail.html).toContain(`https://portal.example/reset/thr${i}abcdefghijklmnop`);
    }
  });

  test("a message the thread cannot send fails with the transport's reason, so the outbox retries it; nothing is sent", async () => {
    connection.raw.prepare("DELETE FROM outbox").run();
    sink.messages.length = 0;
    await enqueue(db, Date.now(), "example.test", reset(99));
    // A port nobody listens on: the SMTP connection is refused inside the thread.
    const closed = await startSmtpSink();
    const url = closed.url;
    await closed.close();
    const email = createThreadedEmailSender({ smtpUrl: url, from: "Test <no-reply@example.test>", ignoreTLS: true });
    try {
      expect(await outbox(email.send).drain()).toBe(1);
    } finally {
      await email.close();
    }
    const [row] = rows();
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row!.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(row!.payload).not.toBeNull();
    expect(sink.messages).toHaveLength(0);
  });

  test("a closed thread is started again by the next message, and close() waits for the thread to end", async () => {
    sink.messages.length = 0;
    const email = createThreadedEmailSender({ smtpUrl: sink.url, from: "Test <no-reply@example.test>", ignoreTLS: true });
    const job = (i: number) => ({ recipient: `again${i}@example.test`, template: "password-reset", message_id: `<again${i}@example.test>` }) as OutboxRow;
    await email.send(job(1), reset(1).payload);
    await email.close();
    await email.send(job(2), reset(2).payload);
    await email.close();
    expect(sink.messages.map((m) => m.messageId).sort()).toEqual(["<again1@example.test>", "<again2@example.test>"]);
  });

  test("a template the thread cannot render fails that message only", async () => {
    sink.messages.length = 0;
    const email = createThreadedEmailSender({ smtpUrl: sink.url, from: "Test <no-reply@example.test>", ignoreTLS: true });
    try {
      const bad = { recipient: "bad@example.test", template: "no-such-template", message_id: "<bad@example.test>" } as OutboxRow;
      await expect(email.send(bad, {})).rejects.toThrow();
      await email.send({ recipient: "good@example.test", template: "password-reset", message_id: "<good@example.test>" } as OutboxRow, reset(3).payload);
    } finally {
      await email.close();
    }
    expect(sink.messages.map((m) => m.messageId)).toEqual(["<good@example.test>"]);
  });
});
