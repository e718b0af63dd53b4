import client from "prom-client";

/** Prometheus metrics served at /metrics. One registry per process. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new client.Counter({
      name: "portal_http_requests_total",
      help: "HTTP responses by method, route group and status",
      labelNames: ["method", "status"] as const,
      registers: [registry],
    }),
    messages: new client.Counter({
      name: "portal_messages_total",
      help: "Outbox delivery results by channel and outcome (sent, retry, failed)",
      labelNames: ["channel", "outcome"] as const,
      registers: [registry],
    }),
    signIns: new client.Counter({
      name: "portal_sign_ins_total",
      help: "Sign-in attempts by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    recoveryRequests: new client.Counter({
      name: "portal_recovery_requests_total",
      help: "Recovery requests by purpose and outcome (accepted, throttled)",
      labelNames: ["purpose", "outcome"] as const,
      registers: [registry],
    }),
    throttled: new client.Counter({
      name: "portal_throttled_total",
      help: "Requests refused by a rate limit, by limit name",
      labelNames: ["limit"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
