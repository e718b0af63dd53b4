import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on loopback that stands in for the SMS providers (DESIGN.md §5):
 *
 * - Webhook (any path other than Twilio's): records every POST with its raw body and headers and
 *   answers 204, or 500 while `failNext` > 0. The JSON body {"id","to","body"} is parsed for the
 *   test, and the X-Signature header is checked with `verifyWebhookSignature` when a secret is set.
 * - Twilio fake: POST /2010-04-01/Accounts/<SID>/Messages.json with HTTP Basic SID:token and a
 *   form-encoded To/From/Body. A well-formed request gets 201 and a Twilio-like JSON resource;
 *   anything else gets Twilio's 4xx shape and is recorded with the reason, so a test can tell.
 *
 * `messages` holds only what the provider accepted (one per SMS a customer would get);
 * `requests` holds every attempt, failed ones included.
 */

export type ReceivedRequest = {
  kind: "webhook" | "twilio";
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** The status this server answered. */
  status: number;
  /** Webhook: the signature matched the secret (undefined when no secret was configured). */
  signatureValid?: boolean;
  /** Why the request was refused, when it was. */
  problem?: string;
  receivedAt: number;
};

export type Sms = { id: string; to: string; body: string; request: ReceivedRequest };

export type SmsReceiver = {
  url: string;
  port: number;
  /** Every request, in order of arrival. */
  requests: ReceivedRequest[];
  /** Accepted messages (2xx answered), oldest first. */
  messages: Sms[];
  /** Messages accepted for one E.164 number. */
  to: (e164: string) => Sms[];
  /** Answer 500 to the next `n` webhook or Twilio requests. */
  failNext: (n: number) => void;
  /** Resolves with the first accepted message (already here or still to come) that matches. */
  waitFor: (predicate: (m: Sms) => boolean, timeoutMs?: number) => Promise<Sms>;
  /** Resolves with the first request (accepted or not) that matches. */
  waitForRequest: (predicate: (r: ReceivedRequest) => boolean, timeoutMs?: number) => Promise<ReceivedRequest>;
  close: () => Promise<void>;
};

/** Constant-time check of `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifyWebhookSignature(secret: string, rawBody: string | Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false;
  const m = /^sha256=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = crypto.createHmac("sha256", secret).update(rawBody).digest();
  const given = Buffer.from(m[1], "hex");
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export type SmsReceiverOptions = {
  /** SMS_WEBHOOK_SECRET: when set, webhook requests with a bad signature are answered 401. */
  webhookSecret?: string;
  /** The credentials the Twilio fake accepts. */
  twilio?: { accountSid: string; authToken: string; from?: string };
};

const TWILIO_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;

export async function startSmsReceiver(options: SmsReceiverOptions = {}): Promise<SmsReceiver> {
  const requests: ReceivedRequest[] = [];
  const messages: Sms[] = [];
  let failures = 0;
  const msgWaiters: { pred: (m: Sms) => boolean; resolve: (m: Sms) => void }[] = [];
  const reqWaiters: { pred: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }[] = [];

  const notify = <T>(waiters: { pred: (v: T) => boolean; resolve: (v: T) => void }[], value: T) => {
    for (const w of [...waiters]) {
      if (w.pred(value)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(value);
      }
    }
  };

  const handleWebhook = (rec: ReceivedRequest): { status: number; body: string; sms?: Sms } => {
    if (options.webhookSecret) {
      rec.signatureValid = verifyWebhookSignature(options.webhookSecret, rec.rawBody, rec.headers["x-signature"]);
      if (!rec.signatureValid) return { status: 401, body: "bad signature" };
    }
    if (!/^application\/json\b/i.test(String(rec.headers["content-type"] ?? ""))) return { status: 415, body: "expected JSON" };
    let parsed: unknown;
    try {
      parsed = JSON.parse(rec.rawBody);
    } catch {
      return { status: 400, body: "malformed JSON" };
    }
    const p = parsed as Record<string, unknown>;
    if (typeof p?.id !== "string" || typeof p.to !== "string" || typeof p.body !== "string") {
      return { status: 400, body: "expected {id, to, body}" };
    }
    return { status: 204, body: "", sms: { id: p.id, to: p.to, body: p.body, request: rec } };
  };

  const handleTwilio = (rec: ReceivedRequest, sid: string): { status: number; body: string; sms?: Sms } => {
    const err = (status: number, code: number, message: string) => ({
      status,
      body: JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    });
    const t = options.twilio;
    if (!t) return err(404, 20404, "no Twilio account configured on this fake");
    const expectedAuth = `Basic ${Buffer.from(`${t.accountSid}:${t.authToken}`).toString("base64")}`;
    if (rec.headers.authorization !== expectedAuth) return err(401, 20003, "Authenticate");
    if (decodeURIComponent(sid) !== t.accountSid) return err(404, 20404, "The requested resource was not found");
    if (!/^application\/x-www-form-urlencoded\b/i.test(String(rec.headers["content-type"] ?? ""))) {
      return err(400, 21601, "expected application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(rec.rawBody);
    const to = form.get("To");
    const from = form.get("From");
    const body = form.get("Body");
    if (!to || !/^\+[1-9]\d{6,14}$/.test(to)) return err(400, 21211, "The 'To' number is not a valid phone number.");
    if (!from || (t.from && from !== t.from)) return err(400, 21606, "The 'From' phone number is not valid for this account.");
    if (!body) return err(400, 21602, "Message body is required.");
    const msgSid = `SM${crypto.randomBytes(16).toString("hex")}`;
    const now = new Date().toUTCString();
    return {
      status: 201,
      body: JSON.stringify({
        account_sid: t.accountSid,
        api_version: "2010-04-01",
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: "outbound-api",
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: null,
        num_media: "0",
        num_segments: "1",
        price: null,
        price_unit: "USD",
        sid: msgSid,
        status: "queued",
        subresource_uris: { media: `/2010-04-01/Accounts/${t.accountSid}/Messages/${msgSid}/Media.json` },
        to,
        uri: `/2010-04-01/Accounts/${t.accountSid}/Messages/${msgSid}.json`,
      }),
      sms: { id: msgSid, to, body, request: rec },
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0];
      const twilio = TWILIO_PATH.exec(path);
      const rec: ReceivedRequest = {
        kind: twilio ? "twilio" : "webhook",
        method: req.method ?? "",
        path,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString("utf8"),
        status: 0,
        receivedAt: Date.now(),
      };
      let answer: { status: number; body: string; sms?: Sms };
      if (req.method !== "POST") answer = { status: 405, body: "POST only" };
      else if (failures > 0) {
        failures--;
        answer = { status: 500, body: "provider unavailable (test)" };
      } else answer = twilio ? handleTwilio(rec, twilio[1]) : handleWebhook(rec);
      rec.status = answer.status;
      if (answer.status >= 400) rec.problem = answer.body;
      requests.push(rec);
      if (answer.sms) messages.push(answer.sms);
      res.writeHead(answer.status, answer.body ? { "content-type": rec.kind === "twilio" ? "application/json" : "text/plain" } : {});
      res.end(answer.body);
      notify(reqWaiters, rec);
      if (answer.sms) notify(msgWaiters, answer.sms);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;

  const waitGeneric = <T>(list: T[], waiters: { pred: (v: T) => boolean; resolve: (v: T) => void }[], what: string) =>
    (pred: (v: T) => boolean, timeoutMs = 10_000): Promise<T> => {
      const found = list.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<T>((resolve, reject) => {
        const waiter = { pred, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`no matching ${what} within ${timeoutMs} ms (have ${list.length})`));
          }
        }, timeoutMs).unref();
      });
    };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    messages,
    to: (e164) => messages.filter((m) => m.to === e164),
    failNext: (n) => {
      failures = n;
    },
    waitFor: waitGeneric(messages, msgWaiters, "SMS"),
    waitForRequest: waitGeneric(requests, reqWaiters, "request"),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The 6-digit code in a text message. */
export function smsCode(sms: { body: string }): string {
  const m = sms.body.match(/\b(\d{6})\b/);
  if (!m) throw new Error(`no code in SMS: ${sms.body}`);
  return m[1];
}
