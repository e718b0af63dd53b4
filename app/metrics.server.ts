import client from "prom-client";

/** Prometheus metrics served at /metrics. One registry per process. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  let reader: (() => Promise<QueueFigures>) | null = null;
  queueGauges(registry, async () => (reader ? reader() : null));
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new client.Counter<L>({ name, help, labelNames, registers: [registry] });
  const ticketEscalations = counter("portal_ticket_escalations_total", "Tickets this process moved to tier 2, by how (sla, manual)", ["how"]);
  // Both series exist from the start, at 0, so a rate() over them has a baseline.
  for (const how of ["sla", "manual"]) ticketEscalations.inc({ how }, 0);
  return {
    registry,
    httpRequests: counter("portal_http_requests_total", "HTTP responses by method, route group and status", ["method", "status"]),
    messages: counter("portal_messages_total", "Outbox delivery results by channel and outcome (sent, retry, failed)", ["channel", "outcome"]),
    signIns: counter("portal_sign_ins_total", "Sign-in attempts by outcome", ["outcome"]),
    recoveryRequests: counter("portal_recovery_requests_total", "Recovery requests by purpose and outcome (accepted, throttled)", ["purpose", "outcome"]),
    throttled: counter("portal_throttled_total", "Requests refused by a rate limit, by limit name", ["limit"]),
    ticketEscalations,
    /**
     * Gauges read from the database when /metrics is scraped (open tickets by tier, SLA breaches,
     * outbox backlog): `readQueue` hands them the function that reads the figures.
     */
    readQueue(read: () => Promise<QueueFigures>) {
      reader = read;
    },
  };
}

/** What the scrape-time gauges report. */
export type QueueFigures = { openByTier: Record<1 | 2, number>; breached: number; outboxBacklog: number };

function queueGauges(registry: client.Registry, figures: () => Promise<QueueFigures | null>) {
  // One read per scrape, shared by the three gauges (each collect() asks for it).
  let pending: Promise<QueueFigures | null> | null = null;
  const once = () => {
    pending ??= figures().finally(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
  new client.Gauge({
    name: "portal_tickets_open",
    help: "Open or waiting tickets by tier",
    labelNames: ["tier"],
    registers: [registry],
    async collect() {
      const f = await once();
      if (f) for (const tier of [1, 2] as const) this.set({ tier: String(tier) }, f.openByTier[tier]);
    },
  });
  new client.Gauge({
    name: "portal_tickets_sla_breached",
    help: "Open or waiting tickets past their SLA due time without a first response",
    registers: [registry],
    async collect() {
      const f = await once();
      if (f) this.set(f.breached);
    },
  });
  new client.Gauge({
    name: "portal_outbox_backlog",
    help: "Queued messages not yet sent (pending or sending)",
    registers: [registry],
    async collect() {
      const f = await once();
      if (f) this.set(f.outboxBacklog);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
