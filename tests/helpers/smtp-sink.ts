import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";

/**
 * A real SMTP server on loopback for tests. Every accepted message is parsed with mailparser and
 * kept with its raw source, so tests can follow links and codes exactly as a customer would.
 */
export type CaughtMail = {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
  messageId: string | undefined;
  headers: ParsedMail["headers"];
  /** `performance.now()` in this process when the message's data had arrived (for the bench). */
  receivedAt: number;
};

export type SmtpSink = {
  port: number;
  url: string;
  messages: CaughtMail[];
  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor: (match: (m: CaughtMail) => boolean, timeoutMs?: number) => Promise<CaughtMail>;
  /** Messages sent to one address, oldest first. */
  to: (address: string) => CaughtMail[];
  /** While true, every message is refused with a 451 (to test retries). */
  failing: boolean;
  close: () => Promise<void>;
};

async function parse(raw: Buffer, receivedAt: number): Promise<CaughtMail> {
  const parsed = await simpleParser(raw);
  const toList = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? "").toLowerCase()));
  return {
    to: toList,
    from: parsed.from?.text ?? "",
    subject: parsed.subject ?? "",
    text: parsed.text ?? "",
    html: typeof parsed.html === "string" ? parsed.html : "",
    raw: raw.toString("utf8"),
    messageId: parsed.messageId,
    headers: parsed.headers,
    receivedAt,
  };
}

function envelopeOnly(raw: Buffer, rcptTo: { address: string }[], receivedAt: number): CaughtMail {
  const messageId = /^message-id:\s*(\S+)/im.exec(raw.subarray(0, 4096).toString("latin1"))?.[1];
  return { to: rcptTo.map((r) => r.address.toLowerCase()), from: "", subject: "", text: "", html: "", raw: "", messageId, headers: new Map(), receivedAt };
}

/**
 * `parse: false` (the bench) keeps only the envelope recipients, the Message-ID and the arrival
 * time: mailparser would cost the sink more CPU per message than the portal spends sending it.
 */
export async function startSmtpSink(port = 0, options: { parse?: boolean } = {}): Promise<SmtpSink> {
  const messages: CaughtMail[] = [];
  const waiters: { match: (m: CaughtMail) => boolean; resolve: (m: CaughtMail) => void }[] = [];
  const sink = {} as SmtpSink;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        const receivedAt = performance.now();
        if (sink.failing) return callback(Object.assign(new Error("temporarily unavailable"), { responseCode: 451 }));
        const raw = Buffer.concat(chunks);
        const mail: CaughtMail = options.parse === false ? envelopeOnly(raw, session.envelope.rcptTo, receivedAt) : await parse(raw, receivedAt);
        messages.push(mail);
        for (const w of [...waiters]) {
          if (w.match(mail)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  // A client that dies mid-session (a worker killed with SIGKILL) resets its connection: that is
  // the client's doing, not an error of the sink (unhandled, it would throw in the test process).
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "ECONNRESET" && err.code !== "EPIPE") throw err;
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  const actual = (server.server.address() as { port: number }).port;
  Object.assign(sink, {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    failing: false,
    to: (address: string) => messages.filter((m) => m.to.includes(address.toLowerCase())),
    waitFor(match: (m: CaughtMail) => boolean, timeoutMs = 10_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<CaughtMail>((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`no matching email within ${timeoutMs} ms (have ${messages.length}: ${messages.map((m) => m.subject).join(" | ")})`));
          }
        }, timeoutMs).unref();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  return sink;
}

/** The first https?:// link in a message's text part whose path starts with `prefix`. */
export function linkIn(mail: CaughtMail, prefix: string): string {
  const m = mail.text.match(new RegExp(`https?://[^\\s)\\]]+${prefix.replace(/[/]/g, "\\/")}[A-Za-z0-9_-]+`));
  if (!m) throw new Error(`no ${prefix} link in: ${mail.text}`);
  return m[0];
}

/** The 6-digit code on the line that says "code". */
export function codeIn(mail: { text: string }): string {
  const line = mail.text.split("\n").find((l) => /code/i.test(l) && /\b\d{6}\b/.test(l));
  const m = (line ?? mail.text).match(/\b(\d{6})\b/);
  if (!m) throw new Error(`no code in: ${mail.text}`);
  return m[1];
}
