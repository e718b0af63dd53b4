import client from "prom-client";

/** Prometheus metrics served at /metrics. One registry per process. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new client.Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    httpRequests: counter("portal_http_requests_total", "HTTP responses by method, route group and status", ["method", "status"]),
    messages: counter("portal_messages_total", "Outbox delivery results by channel and outcome (sent, retry, failed)", ["channel", "outcome"]),
    signIns: counter("portal_sign_ins_total", "Sign-in attempts by outcome", ["outcome"]),
    recoveryRequests: counter("portal_recovery_requests_total", "Recovery requests by purpose and outcome (accepted, throttled)", ["purpose", "outcome"]),
    throttled: counter("portal_throttled_total", "Requests refused by a rate limit, by limit name", ["limit"]),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
