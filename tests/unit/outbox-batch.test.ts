import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createElement } from "react";
import { render } from "@react-email/render";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { migrate, openDatabase, type SqliteConnection as Connection, type Db } from "~/db/db.server";
import { createLogger } from "~/log.server";
import { OutboxWorker, enqueue, type OutboxRow, type Sender } from "~/delivery/outbox.server";
import { createEmailSender } from "~/delivery/email-transport.server";
import { createThreadedEmailSender } from "~/delivery/email-thread.server";
import { messages, renderEmail } from "../../emails/index";
import { codeIn, linkIn, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 12: the outbox sends a batch with several messages in flight over pooled SMTP connections,
 * each message exactly once, rendered once; stopping waits for the messages in flight. The portal
 * renders and sends e-mails in a worker thread (docs/decisions/0014): the last block runs a real
 * worker_threads Worker against the same real SMTP sink.
 */

let dir: string;
let connection: Connection;
let db: Db;
let sink: SmtpSink;
const logger = createLogger("silent");

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-outbox-batch-"));
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
    to: `batch${i}@example.test`,
    template: "password-reset",
    payload: {
      appName: "Batch Test",
      username: `user_${i}`,
      link: `https://portal.example/reset/tok${i}abcdefghijklmnop`,
      code: String(100000 + i),
      minutes: 30,
      codeMinutes: 10,
      supportUrl: "https://portal.example/help",
    },
  }) as const;

const rows = () => connection.raw.prepare("SELECT * FROM outbox").all() as OutboxRow[];

function worker(send: Sender, concurrency: number) {
  return new OutboxWorker({
    db,
    clock: { now: () => Date.now() },
    logger,
    senders: { email: send, sms: send },
    pollMs: 60_000,
    maxAttempts: 3,
    backoffBaseMs: 1000,
    concurrency,
  });
}

describe("outbox batches", () => {
  test("a batch is sent over pooled SMTP with bounded concurrency, each message exactly once", async () => {
    connection.raw.prepare("DELETE FROM outbox").run();
    sink.messages.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await enqueue(db, Date.now(), "example.test", reset(i)));
    const email = createEmailSender({ smtpUrl: sink.url, from: "Test <no-reply@example.test>", ignoreTLS: true, maxConnections: 3 });
    let inFlight = 0;
    let peak = 0;
    const w = worker(async (row, payload) => {
      peak = Math.max(peak, ++inFlight);
      try {
        await email.send(row, payload);
      } finally {
        inFlight--;
      }
    }, 6);
    expect(await w.drain()).toBe(40);
    email.close();

    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(6);
    expect(sink.messages).toHaveLength(40);
    const byId = new Map(rows().map((r) => [r.message_id, r]));
    expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(40);
    for (const mail of sink.messages) {
      const row = byId.get(mail.messageId!)!;
      expect(row).toMatchObject({ status: "sent", attempts: 1, payload: null, last_error: null });
      // The text part still carries what a customer (and the tests) read: link, code, username.
      const i = Number(row.recipient.match(/\d+/)![0]);
      expect(mail.to).toEqual([`batch${i}@example.test`]);
      expect(linkIn(mail, "/reset/")).toBe(`https://portal.example/reset/tok${i}abcdefghijklmnop`);
      expect(codeIn(mail)).toBe(String(100000 + i));
      expect(mail.text).toContain(`user_${i}`);
    }
    expect(rows().map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  test("SIGTERM path: stop() claims nothing more and returns once the messages in flight are settled", async () => {
    connection.raw.prepare("DELETE FROM outbox").run();
    for (let i = 0; i < 30; i++) await enqueue(db, Date.now(), "example.test", reset(i));
    let started = 0;
    const w = worker(async () => {
      started++;
      await sleep(50);
    }, 4);
    await w.start();
    while (started < 4) await sleep(5);
    await w.stop();
    const statuses = rows().map((r) => r.status);
    expect(statuses.filter((s) => s === "sending")).toEqual([]);
    expect(statuses.filter((s) => s === "sent").length).toBe(started);
    expect(started).toBeLessThan(30);
    expect(statuses.filter((s) => s === "pending").length).toBe(30 - started);
  });

  test("a message queued while another is in flight is claimed at the kick, not after the one in flight finishes", async () => {
    connection.raw.prepare("DELETE FROM outbox").run();
    const first = await enqueue(db, Date.now(), "example.test", reset(1));
    const sent: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const w = worker(async (row) => {
      sent.push(row.id);
      if (row.id === first) await firstHeld; // a slow SMTP server for the first message
    }, 8);
    await w.start();
    while (!sent.includes(first)) await sleep(5);
    const second = await enqueue(db, Date.now(), "example.test", reset(2));
    w.kick();
    for (let i = 0; i < 100 && !sent.includes(second); i++) await sleep(10);
    try {
      expect(sent).toEqual([first, second]); // while the first is still held
      expect(rows().find((r) => r.id === second)?.status).toBe("sent");
    } finally {
      releaseFirst();
      await w.stop();
    }
    expect(rows().map((r) => r.status)).toEqual(["sent", "sent"]);
  });

  test("each template renders once, to the same HTML and text as React Email's two renders", async () => {
    const props: Record<string, unknown> = {};
    for (const k of ["appName", "username", "link", "code", "supportUrl", "sentAt", "reportUrl", "supportEmail", "when", "what"])
      props[k] = `${k} <&> "x" https://portal.example/${k}`;
    for (const k of ["origin", "loginUrl", "resetUrl", "reference", "confirmUrl", "note", "category", "priority", "dueAt", "contact"])
      props[k] = `${k} <&> "x" https://portal.example/${k}`;
    // The support-operations messages (issue 14).
    for (const k of ["statusUrl", "why", "consoleUrl", "pageUrl", "action", "requester", "ticketUrl", "queueUrl"]) props[k] = `${k} <&> "x" https://portal.example/${k}`;
    Object.assign(props, { usernames: ["alice", "al<i>ce2"], kind: "email", purpose: "reset", minutes: 30, codeMinutes: 10, slaHours: 4, hours: 24, code: "123456" });
    // The ticket-closed message (issue 15).
    Object.assign(props, { feedbackUrl: `feedbackUrl <&> "x" https://portal.example/feedbackUrl`, feedbackDays: 30 });
    for (const [name, def] of Object.entries(messages)) {
      const element = createElement(def.component as (p: Record<string, unknown>) => React.ReactElement, props);
      const ours = renderEmail(name, props);
      expect(ours.html, name).toBe(await render(element));
      expect(ours.text, name).toBe(await render(element, { plainText: true }));
    }
  });
});

describe("e-mail thread", () => {
  test("the outbox's e-mails are rendered and sent by the thread: each once, with its Message-ID, readable by the customer", async () => {
    connection.raw.prepare("DELETE FROM outbox").run();
    sink.messages.length = 0;
    for (let i = 0; i < 25; i++) await enqueue(db, Date.now(), "example.test", reset(i));
    const email = createThreadedEmailSender({ smtpUrl: sink.url, from: "Test <no-reply@example.test>", ignoreTLS: true, maxConnections: 2 });
    try {
      expect(await worker(email.send, 32).drain()).toBe(25);
    } finally {
      await email.close();
    }
    expect(sink.messages).toHaveLength(25);
    const byId = new Map(rows().map((r) => [r.message_id, r]));
    for (const mail of sink.messages) {
      const row = byId.get(mail.messageId!)!;
      expect(row).toMatchObject({ status: "sent", attempts: 1, payload: null, last_error: null });
      const i = Number(row.recipient.match(/\d+/)![0]);
      expect(mail.to).toEqual([`batch${i}@example.test`]);
      expect(mail.subject).toBeTruthy();
      expect(linkIn(mail, "/reset/")).toBe(`https://portal.example/reset/tok${i}abcdefghijklmnop`);
      expect(codeIn(mail)).toBe(String(100000 + i));
      expect(mail.html).toContain(`https://portal.example/reset/tok${i}abcdefghijklmnop`);
    }
  });

  test("messages handed over in one turn cross to the thread in one message, and its results come back in fewer than one each", async () => {
    sink.messages.length = 0;
    const posted = vi.spyOn(Worker.prototype, "postMessage");
    const emitted = vi.spyOn(Worker.prototype, "emit");
    const email = createThreadedEmailSender({ smtpUrl: sink.url, from: "Test <no-reply@example.test>", ignoreTLS: true, maxConnections: 8 });
    const job = (i: number) => ({ recipient: `turn${i}@example.test`, template: "password-reset", message_id: `<turn${i}@example.test>` }) as OutboxRow;
    try {
      const bad = email.send({ ...job(99), template: "no-such-template" }, {});
      await Promise.all([...Array.from({ length: 24 }, (_, i) => email.send(job(i), reset(i).payload)), expect(bad).rejects.toThrow()]);
      const sends = posted.mock.calls.filter(([message]) => (message as { type?: string }).type === "send");
      expect(sends).toHaveLength(1);
      expect((sends[0]![0] as { jobs: unknown[] }).jobs).toHaveLength(25);
      const replies = emitted.mock.calls.filter(([event]) => event === "message");
      expect(replies.length).toBeGreaterThan(0);
      expect(replies.length).toBeLessThan(25);
    } finally {
      posted.mockRestore();
      emitted.mockRestore();
      await email.close();
    }
    // Each message settled on its own: the bad one failed, the 24 others went out once each.
    expect(sink.messages.map((m) => m.messageId).sort()).toEqual(Array.from({ length: 24 }, (_, i) => `<turn${i}@example.test>`).sort());
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
      expect(await worker(email.send, 32).drain()).toBe(1);
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
