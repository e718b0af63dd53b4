import type { Socket } from "node:net";
import type { Transform } from "node:stream";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { parseConnectionUrl } from "nodemailer/lib/shared";

/**
 * A small pool of SMTP connections on nodemailer's own SMTP client (`SMTPConnection`), for the
 * e-mail thread's finished messages (docs/decisions/0033). nodemailer's `sendMail` turned each of
 * them into a MIME tree again and streamed it through a pipeline of its own before its pool sent
 * it: about 170 µs of the thread's 400 per e-mail on the bench machine. Here the composed text goes
 * to the connection as it is; the SMTP dialogue (EHLO, STARTTLS, AUTH, replies) is still
 * nodemailer's, and so is dot-stuffing for any text that needs it (see `Connection`, 0036).
 *
 * What the pool keeps of nodemailer's: `SMTP_URL` read the same way (`smtps://`, user and
 * password, `tls.*` and other query options); at most `maxConnections` connections, each sending
 * one message at a time and replaced after `maxMessages`; a connection whose server refused one
 * message (a bad recipient) is reset and kept; a reused connection that turns out to be dead
 * (the server dropped it while it was idle) sends its message again once, on a new connection;
 * connections idle for four minutes are closed (RFC 5321 asks servers to wait at least five).
 * Every other failure fails the message, and the outbox decides when to try again.
 */
export type SmtpPoolOptions = {
  url: string;
  ignoreTLS?: boolean;
  maxConnections: number;
  maxMessages: number;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  /** How long an unused connection stays open (default four minutes). */
  idleMs?: number;
};

export type SmtpEnvelope = { from: string; to: string[] };

type Job = { envelope: SmtpEnvelope; raw: string; resolve: () => void; reject: (err: Error) => void; retried: boolean };

type Link = { connection: SMTPConnection; ready: boolean; busy: boolean; sent: number; idle?: NodeJS.Timeout };

type SmtpError = Error & { code?: string; responseCode?: number };

const IDLE_MS = 4 * 60_000;

const CR = 13;
const LF = 10;
const DOT = 46;

/**
 * True when `data` can follow DATA as it is: every line ends in CRLF and no line starts with a
 * dot, so RFC 5321's dot-stuffing (§4.5.2) and line-end repair change nothing. Messages from
 * `composeMessage` always can (base64 bodies, encoded headers, CRLF throughout).
 */
export function sendableAsIs(data: Uint8Array): boolean {
  if (data[0] === DOT) return false;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) {
    if (bytes[at - 1] !== CR || bytes[at + 1] === DOT) return false;
  }
  for (let at = bytes.indexOf(CR); at !== -1; at = bytes.indexOf(CR, at + 1)) {
    if (bytes[at + 1] !== LF) return false;
  }
  return true;
}

/** What `_createSendStream` returns: nodemailer's DATA stream (`DataStream`), piped to the socket. */
type DataStream = Transform & { inByteCount: number; outByteCount: number; lastByte: number | false };
type Transformer = Transform["_transform"];

/**
 * nodemailer's connection, with one change: a message that needs no dot-stuffing skips the DATA
 * stream's escaping, which reads every byte in JavaScript (about 45 µs for a 10 KB message on the
 * bench machine, a fifth of the e-mail thread's time per e-mail; docs/decisions/0036). Anything
 * else, and any message sent in more than one piece, is escaped by nodemailer as before. The stream
 * itself, its end-of-data line, its counts and the replies stay nodemailer's. The socket is corked
 * while the stream runs, so the message and its end-of-data line leave in one write, not two.
 */
class Connection extends SMTPConnection {
  constructor(options: SMTPConnection.Options, private readonly counts: { asIs: number; escaped: number }) {
    super(options);
  }

  // nodemailer's own (internal) method, called by `send` once the server has said 354 to DATA.
  _createSendStream(callback: unknown): DataStream {
    const internals = SMTPConnection.prototype as unknown as { _createSendStream(this: SMTPConnection, callback: unknown): DataStream };
    const stream = internals._createSendStream.call(this, callback);
    const socket = (this as unknown as { _socket: Socket })._socket;
    socket.cork();
    let corked = true;
    // At the stream's end, or at the latest once this turn is over (a message still coming in
    // pieces then goes as it comes).
    const uncork = () => {
      if (corked) socket.uncork();
      corked = false;
    };
    stream.once("end", uncork);
    setImmediate(uncork);
    const escape: Transformer = stream._transform;
    const counts = this.counts;
    stream._transform = function (this: DataStream, chunk: Buffer, encoding, done) {
      // nodemailer skips an empty piece without marking anything written; so does this.
      if (!Buffer.isBuffer(chunk) || chunk.length === 0) return escape.call(this, chunk, encoding, done);
      // A message is counted once, by its first piece (nothing written yet).
      const first = this.lastByte === false;
      if (!first || !sendableAsIs(chunk)) {
        if (first) counts.escaped++;
        return escape.call(this, chunk, encoding, done);
      }
      counts.asIs++;
      this.inByteCount += chunk.length;
      this.outByteCount += chunk.length;
      this.lastByte = chunk[chunk.length - 1]!;
      this.push(chunk);
      done();
    };
    return stream;
  }
}

/** The server dropped the connection or did not answer: nothing says the message was refused. */
const connectionLost = (err: SmtpError) =>
  err.responseCode === 421 || err.code === "ECONNECTION" || err.code === "ESOCKET" || err.code === "ETIMEDOUT";

export class SmtpPool {
  private readonly queue: Job[] = [];
  private readonly links = new Set<Link>();
  private readonly connectionOptions: SMTPConnection.Options;
  private readonly auth: SMTPConnection.AuthenticationType | undefined;
  private readonly forceAuth: boolean;
  private closed = false;
  /** Messages sent as composed, and messages nodemailer escaped, each counted by its first piece (see `Connection`). */
  readonly dataPaths = { asIs: 0, escaped: 0 };

  constructor(private readonly o: SmtpPoolOptions) {
    const { auth, authMethod, forceAuth, ...fromUrl } = parseConnectionUrl(o.url) as SMTPConnection.Options & {
      auth?: { user?: string; pass?: string };
      authMethod?: string;
      forceAuth?: boolean;
    };
    this.connectionOptions = {
      ...fromUrl,
      ...(o.ignoreTLS ? { ignoreTLS: true } : {}),
      connectionTimeout: o.connectionTimeout,
      greetingTimeout: o.greetingTimeout,
      socketTimeout: o.socketTimeout,
    };
    this.auth =
      auth && (auth.user || auth.pass)
        ? { user: auth.user ?? "", credentials: { user: auth.user ?? "", pass: auth.pass ?? "" }, method: authMethod ? String(authMethod).toUpperCase() : false }
        : undefined;
    this.forceAuth = forceAuth === true;
  }

  /** Resolves once the server accepted the message; rejects with the server's or the network's error. */
  send(envelope: SmtpEnvelope, raw: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the SMTP pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ envelope, raw, resolve, reject, retried: false });
      this.pump();
    });
  }

  /** Fails the messages not yet handed to a connection, and closes every connection. */
  close(): void {
    this.closed = true;
    this.failQueued(new Error("the SMTP pool is closed"));
    for (const link of this.links) this.drop(link, link.busy ? "close" : "quit");
  }

  private pump(): void {
    if (this.closed) return;
    for (const link of this.links) {
      if (this.queue.length === 0) return;
      if (link.ready && !link.busy) this.dispatch(link, this.queue.shift()!);
    }
    // Connections still opening will take a message each.
    let opening = 0;
    for (const link of this.links) if (!link.ready) opening++;
    while (this.queue.length > opening && this.links.size < this.o.maxConnections) {
      this.open();
      opening++;
    }
  }

  private open(): void {
    const connection = new Connection(this.connectionOptions, this.dataPaths);
    const link: Link = { connection, ready: false, busy: false, sent: 0 };
    this.links.add(link);
    let opened = false;
    // A connection that cannot be opened or signed in to fails the messages waiting: they would
    // wait for the same server. Those already on an open connection carry on.
    const failOpen = (err: Error) => {
      if (opened) return;
      opened = true;
      this.drop(link, "close");
      this.failQueued(err);
      this.pump();
    };
    const ready = () => {
      if (opened) return;
      opened = true;
      link.ready = true;
      if (this.closed) this.drop(link, "quit");
      else this.next(link);
    };
    connection.on("error", (err: SmtpError) => {
      if (!link.ready) failOpen(err);
      // A message in flight learns of the error from its send callback.
      else if (!link.busy) this.drop(link, "close");
    });
    connection.once("end", () => {
      if (!link.ready) failOpen(Object.assign(new Error("Connection closed unexpectedly"), { code: "ECONNECTION" }));
      // A connection that ends while it sends fails that message in its send callback.
      else if (!link.busy) this.drop(link, "none");
    });
    connection.connect((err) => {
      if (err) return failOpen(err);
      if (!this.auth || !(connection.allowsAuth || this.forceAuth)) return ready();
      connection.login(this.auth, (loginErr) => (loginErr ? failOpen(loginErr) : ready()));
    });
  }

  /** Hands the connection the next message, or lets it rest until one comes or it has idled long enough. */
  private next(link: Link): void {
    const job = this.queue.shift();
    if (job) return this.dispatch(link, job);
    link.idle = setTimeout(() => this.drop(link, "quit"), this.o.idleMs ?? IDLE_MS);
    link.idle.unref();
  }

  private dispatch(link: Link, job: Job): void {
    clearTimeout(link.idle);
    link.busy = true;
    const reused = link.sent > 0;
    link.connection.send(job.envelope, job.raw, (err) => {
      link.busy = false;
      link.sent++;
      if (!err) {
        job.resolve();
        return this.release(link);
      }
      const e = err as SmtpError;
      if (reused && !job.retried && connectionLost(e) && !this.closed) {
        // Most likely dropped by the server while it was idle: one more try on a new connection.
        job.retried = true;
        this.queue.unshift(job);
        this.drop(link, "close");
        return this.pump();
      }
      job.reject(e);
      if ((e.code === "EENVELOPE" || e.code === "EMESSAGE") && e.responseCode !== 421 && !link.connection.destroyed) {
        // The server refused this message, not the session: reset it and keep the connection.
        link.busy = true;
        link.connection.reset((resetErr) => {
          link.busy = false;
          if (resetErr) {
            this.drop(link, "close");
            return this.pump();
          }
          this.release(link);
        });
        return;
      }
      this.drop(link, "close");
      this.pump();
    });
  }

  private release(link: Link): void {
    if (this.closed) return this.drop(link, "quit");
    if (link.sent >= this.o.maxMessages) {
      this.drop(link, "quit");
      return this.pump();
    }
    this.next(link);
  }

  private drop(link: Link, how: "quit" | "close" | "none"): void {
    if (!this.links.delete(link)) return;
    clearTimeout(link.idle);
    if (how === "quit") link.connection.quit();
    else if (how === "close") link.connection.close();
  }

  private failQueued(err: Error): void {
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}
