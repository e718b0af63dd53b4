import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { afterEach, describe, expect, test } from "vitest";
import { composeMessage } from "~/delivery/mime.server";
import { SmtpPool, sendableAsIs, type SmtpPoolOptions } from "~/delivery/smtp-pool.server";

/**
 * Issue 12 (docs/decisions/0033): the e-mail thread's own pool of nodemailer SMTP connections,
 * against real SMTP servers on loopback. It must do what nodemailer's pool did for the portal:
 * bounded connections, replaced after a number of messages, a refused message failing alone, a
 * dropped connection not losing a message, AUTH and TLS from `SMTP_URL`, and never hanging.
 */

type Seen = { sessions: Map<string, number>; open: number; maxOpen: number; recipients: string[]; users: string[]; secure: boolean[]; data: Buffer[] };

const servers: { close: () => Promise<void> }[] = [];
const pools: SmtpPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: SMTPServerOptions = {}, refuse?: (rcpt: string) => number | undefined) {
  const seen: Seen = { sessions: new Map(), open: 0, maxOpen: 0, recipients: [], users: [], secure: [], data: [] };
  const sockets = new Set<net.Socket>();
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onConnect(session: SMTPServerSession, cb: (err?: Error) => void) {
      seen.open++;
      seen.maxOpen = Math.max(seen.maxOpen, seen.open);
      seen.sessions.set(session.id, 0);
      cb();
    },
    onClose() {
      seen.open--;
    },
    onRcptTo(address, _session, cb) {
      const code = refuse?.(address.address);
      if (code) return cb(Object.assign(new Error(`refused ${code}`), { responseCode: code }));
      cb();
    },
    onData(stream, session, cb) {
      // What the server received, dot-stuffing undone (smtp-server does that).
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        seen.data.push(Buffer.concat(chunks));
        seen.sessions.set(session.id, (seen.sessions.get(session.id) ?? 0) + 1);
        seen.recipients.push(...session.envelope.rcptTo.map((r) => r.address));
        seen.secure.push(session.secure);
        cb();
      });
    },
    ...options,
  });
  smtp.on("error", () => undefined);
  smtp.server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  const port = (smtp.server.address() as net.AddressInfo).port;
  const handle = {
    port,
    seen,
    /** Drops every connection the way a relay ends idle sessions: a FIN, no reply. */
    dropAll: () => {
      for (const s of sockets) s.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        smtp.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

function pool(url: string, options: Partial<SmtpPoolOptions> = {}) {
  const p = new SmtpPool({ url, maxConnections: 2, maxMessages: 100, connectionTimeout: 2000, greetingTimeout: 1000, socketTimeout: 5000, ...options });
  pools.push(p);
  return p;
}

const message = (to: string) =>
  [`From: portal@example.test`, `To: ${to}`, `Subject: test`, `Message-ID: <${to}>`, "", "body", ""].join("\r\n");
const send = (p: SmtpPool, to: string) => p.send({ from: "portal@example.test", to: [to] }, message(to));

describe("SMTP pool (issue 12, docs/decisions/0033)", () => {
  test("sends every message over at most maxConnections connections, each replaced after maxMessages", async () => {
    const s = await server();
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 2, maxMessages: 3 });
    const to = Array.from({ length: 13 }, (_, i) => `m${i}@example.test`);
    await Promise.all(to.map((t) => send(p, t)));
    expect(s.seen.recipients.sort()).toEqual([...to].sort());
    expect(s.seen.maxOpen).toBeLessThanOrEqual(2);
    expect(Math.max(...s.seen.sessions.values())).toBeLessThanOrEqual(3);
    expect(s.seen.sessions.size).toBeGreaterThanOrEqual(5);
  });

  test("a refused recipient fails its message alone, and the connection is reset and kept", async () => {
    const s = await server({}, (rcpt) => (rcpt.startsWith("bad") ? 550 : undefined));
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1 });
    const results = await Promise.allSettled(["a@example.test", "bad@example.test", "b@example.test"].map((t) => send(p, t)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/550/);
    expect(s.seen.recipients).toEqual(["a@example.test", "b@example.test"]);
    expect(s.seen.sessions.size).toBe(1);
  });

  test("a temporary refusal of the data fails that message; the next one goes on the same connection", async () => {
    let refuseData = true;
    const s = await server({
      onData(stream, _session, cb) {
        stream.resume();
        stream.on("end", () => {
          if (refuseData) {
            refuseData = false;
            return cb(Object.assign(new Error("try later"), { responseCode: 451 }));
          }
          cb();
        });
      },
    });
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1 });
    await expect(send(p, "first@example.test")).rejects.toThrow(/451/);
    await send(p, "second@example.test");
    expect(s.seen.sessions.size).toBe(1);
  });

  test("a connection the server dropped while idle does not lose the next message", async () => {
    const s = await server();
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1 });
    await send(p, "before@example.test");
    s.dropAll();
    await sleep(50);
    await send(p, "after@example.test");
    expect(s.seen.recipients).toEqual(["before@example.test", "after@example.test"]);
    expect(s.seen.sessions.size).toBe(2);
  });

  test("a message handed to a connection the server has just dropped goes again on a new connection", async () => {
    const s = await server();
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1 });
    await send(p, "before@example.test");
    for (let i = 0; i < 5; i++) {
      s.dropAll();
      // No pause: the pool learns of the drop only when it writes the next command.
      await send(p, `again${i}@example.test`);
    }
    expect(s.seen.recipients).toEqual(["before@example.test", ...Array.from({ length: 5 }, (_, i) => `again${i}@example.test`)]);
  });

  test("an idle connection is closed after idleMs, and the next message opens a new one", async () => {
    const s = await server();
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1, idleMs: 100 });
    await send(p, "one@example.test");
    await sleep(400);
    expect(s.seen.open).toBe(0);
    await send(p, "two@example.test");
    expect(s.seen.sessions.size).toBe(2);
  });

  test("user and password from the URL sign in (AUTH); a wrong password fails every waiting message", async () => {
    const s = await server({
      disabledCommands: ["STARTTLS"],
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === "relay" && auth.password === "s3cret pass") return cb(null, { user: auth.username });
        cb(new Error("bad credentials"));
      },
    });
    await send(pool(`smtp://relay:${encodeURIComponent("s3cret pass")}@127.0.0.1:${s.port}`, { ignoreTLS: true }), "auth@example.test");
    expect(s.seen.recipients).toEqual(["auth@example.test"]);
    const wrong = pool(`smtp://relay:nope@127.0.0.1:${s.port}`, { ignoreTLS: true });
    const results = await Promise.allSettled([send(wrong, "x@example.test"), send(wrong, "y@example.test"), send(wrong, "z@example.test")]);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(s.seen.recipients).toEqual(["auth@example.test"]);
  });

  test("STARTTLS is used when offered, with the certificate checked unless the URL says otherwise", async () => {
    // smtp-server offers STARTTLS with its own self-signed certificate.
    const s = await server({ disabledCommands: ["AUTH"] });
    await expect(send(pool(`smtp://127.0.0.1:${s.port}`), "checked@example.test")).rejects.toThrow(/certificate/i);
    await send(pool(`smtp://127.0.0.1:${s.port}/?tls.rejectUnauthorized=false`), "tls@example.test");
    expect(s.seen.recipients).toEqual(["tls@example.test"]);
    expect(s.seen.secure).toEqual([true]);
  });

  test("a server that is down or never greets fails the message instead of holding it", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(send(pool(`smtp://127.0.0.1:${closedPort}`, { ignoreTLS: true }), "down@example.test")).rejects.toThrow(/ECONNREFUSED|connect/i);

    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of held) socket.destroy();
          silent.close(() => resolve());
        }),
    });
    const started = Date.now();
    await expect(send(pool(`smtp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { ignoreTLS: true, greetingTimeout: 300 }), "mute@example.test")).rejects.toThrow(/greeting|timeout/i);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test("close() fails the messages still waiting and refuses new ones", async () => {
    const s = await server();
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1 });
    const waiting = Array.from({ length: 5 }, (_, i) => send(p, `w${i}@example.test`));
    p.close();
    const results = await Promise.allSettled(waiting);
    expect(results.filter((r) => r.status === "rejected").length).toBeGreaterThanOrEqual(4);
    await expect(send(p, "late@example.test")).rejects.toThrow(/closed/);
  });

  test("a composed message goes as it is, byte for byte; any other text is still dot-stuffed by nodemailer (docs/decisions/0036)", async () => {
    const s = await server();
    const p = pool(`smtp://127.0.0.1:${s.port}`, { ignoreTLS: true, maxConnections: 1 });
    const composed = composeMessage({
      from: "Portal <portal@example.test>",
      to: "dots@example.test",
      subject: "Réinitialiser . le mot de passe",
      text: ".\n..leading dots\r\n.\nand bare line ends\r",
      html: "<p>.</p>\n.<p>x</p>",
      messageId: "<dots@example.test>",
      headers: { "X-Test": ". dot" },
    }).raw;
    const others = [
      ".starts with a dot\r\nbody\r\n",
      "a\r\n.dot line\r\n..two dots\r\n",
      "bare\nline feeds\n",
      "bare\rcarriage return\r\n",
      "ends without a line end",
    ];
    for (const text of [composed, ...others]) await p.send({ from: "portal@example.test", to: ["dots@example.test"] }, text);
    // The composed message arrives exactly as composed, without nodemailer's escaping.
    expect(s.seen.data[0]!.toString("utf8")).toBe(composed);
    // As it is: the composed message, and the one line with no line end (nothing to escape; the
    // end-of-data line adds its CRLF). Escaped: the four others.
    expect(p.dataPaths).toEqual({ asIs: 2, escaped: 4 });
    // The others arrive as nodemailer always sent them: dots kept, line ends made CRLF.
    expect(s.seen.data.slice(1).map((d) => d.toString("utf8"))).toEqual([
      ".starts with a dot\r\nbody\r\n",
      "a\r\n.dot line\r\n..two dots\r\n",
      "bare\r\nline feeds\r\n",
      "bare\r\ncarriage return\r\n",
      "ends without a line end\r\n",
    ]);
  });

  test("sendableAsIs: CRLF line ends only and no line starting with a dot", () => {
    const ok = (text: string) => sendableAsIs(Buffer.from(text));
    for (const text of ["", "a", "a\r\nb\r\n", "a.b\r\n b\r\n", "x\r\n\r\n--boundary--\r\n"]) expect(ok(text), JSON.stringify(text)).toBe(true);
    for (const text of [".", ".a\r\n", "a\r\n.b", "a\nb", "\nb", "a\rb", "a\r", "a\r\r\n", "a\n\r\n"]) expect(ok(text), JSON.stringify(text)).toBe(false);
    // A view into a larger buffer is read within its own bounds.
    const big = Buffer.from("..\r\nabc\r\n..");
    expect(sendableAsIs(big.subarray(4, 9))).toBe(true);
  });
});
