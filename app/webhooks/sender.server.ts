import http from "node:http";
import https from "node:https";
import { Webhook } from "standardwebhooks";
import type { Db } from "~/db/db.server";
import type { Clock } from "~/clock.server";
import type { Logger } from "~/log.server";
import type { OutboxRow } from "~/stores/outbox.store";
import { disableWebhookEndpoint, findWebhookEndpoint, recordWebhookFailure, recordWebhookSuccess, type WebhookEndpoint } from "~/stores/webhooks.store";
import { openWebhookSecret } from "./secrets.server";
import { guardedLookup, resolveProblem, urlProblem, type WebhookTargetRules } from "./url.server";

/** An endpoint failing for this long without one success is disabled. */
export const WEBHOOK_DISABLE_AFTER_MS = 24 * 60 * 60_000;

export type WebhookSenderOptions = {
  db: Db;
  clock: Clock;
  logger: Logger;
  secretKey: Buffer;
  rules: WebhookTargetRules;
  timeoutMs: number;
  /** Called once, by the delivery that disabled the endpoint (tell the admins, audit it). */
  onDisabled: (endpoint: WebhookEndpoint, failingSince: number) => Promise<void>;
};

/** The Standard Webhooks headers for one attempt: every valid secret signs (space-separated). */
export function signWebhook(secrets: string[], msgId: string, at: Date, body: string): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(msgId, at, body));
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

function post(url: string, headers: Record<string, string>, body: string, rules: WebhookTargetRules, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const lib = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "account-recovery-portal-webhooks" },
        // The connection goes to the address this lookup checked (no DNS rebinding between check and connect).
        lookup: guardedLookup(rules),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        // The answer's body is not read beyond a little, and never stored.
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    // A total deadline too: a receiver that trickles its answer cannot hold the message.
    const deadline = setTimeout(() => req.destroy(new Error("timeout")), timeoutMs);
    deadline.unref?.();
    req.on("close", () => clearTimeout(deadline));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * The outbox's sender for channel 'webhook': one POST per attempt, outside any transaction, with a
 * timeout, to the endpoint named by the row's recipient. A removed or disabled endpoint's messages
 * are dropped (settled without a request). A 2xx settles the message; anything else throws, so the
 * outbox retries with backoff, same webhook-id (the row's message_id). An endpoint whose failures
 * have lasted WEBHOOK_DISABLE_AFTER_MS is disabled and `onDisabled` runs once.
 */
export function createWebhookSender(o: WebhookSenderOptions) {
  return async (row: OutboxRow, payload: Record<string, unknown>): Promise<void> => {
    const endpoint = await findWebhookEndpoint(o.db, row.recipient);
    if (!endpoint || endpoint.status !== "active") {
      o.logger.info({ outboxId: row.id, endpoint: row.recipient, type: row.template }, "webhook dropped: endpoint removed or disabled");
      return;
    }
    const body = String(payload.body ?? "");
    let result: string;
    try {
      const problem = urlProblem(endpoint.url, o.rules) ?? (await resolveProblem(endpoint.url, o.rules));
      if (problem) throw Object.assign(new Error(`refused: ${problem}`), { code: "WEBHOOK_REFUSED" });
      const now = o.clock.now();
      const secrets = [openWebhookSecret(o.secretKey, endpoint.secret)];
      if (endpoint.previous_secret && (endpoint.previous_secret_until ?? 0) > now) secrets.push(openWebhookSecret(o.secretKey, endpoint.previous_secret));
      // The timestamp is real time: receivers check it against their own clocks.
      const status = await post(endpoint.url, signWebhook(secrets, row.message_id, new Date(), body), body, o.rules, o.timeoutMs);
      if (status >= 200 && status < 300) {
        await recordWebhookSuccess(o.db, endpoint.id, o.clock.now(), `ok ${status}`);
        return;
      }
      result = `http ${status}`;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      result = message.startsWith("refused") ? message.slice(0, 200) : `error ${message.slice(0, 100)}`;
    }
    const now = o.clock.now();
    const failingSince = await recordWebhookFailure(o.db, endpoint.id, now, result);
    if (failingSince !== null && now - failingSince >= WEBHOOK_DISABLE_AFTER_MS && (await disableWebhookEndpoint(o.db, endpoint.id, now))) {
      o.logger.warn({ endpoint: endpoint.id, failingSince }, "webhook endpoint disabled after failing for 24 h");
      await o.onDisabled({ ...endpoint, last_result: result, status: "disabled" }, failingSince);
      // Disabled: this message is not retried (it would be dropped anyway).
      return;
    }
    throw new Error(`webhook ${result}`);
  };
}
