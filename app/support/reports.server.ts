import type { RequestContext } from "~/context.server";
import { recordEvent } from "~/audit/events.server";
import * as store from "~/stores/reports.store";
import { feedbackBetween } from "~/stores/feedback.store";
import { FEEDBACK_METHODS, type FeedbackMethod } from "~/recovery/feedback.server";
import { CATEGORIES, FIRST_RESPONSE_ACTIONS, RESOLVED_STATUSES } from "~/tickets/tickets.server";
import type { Staff } from "./staff.server";

/**
 * Support reports (issue 14): what happened to the tickets CREATED in a date range, and the
 * self-service recoveries of the same range. The statistics are pure functions of rows (unit
 * tested); the loaders read the rows through app/stores/reports.store.ts.
 *
 * Definitions (also printed on the page, one line each):
 * - first response: the first staff event whose action is in FIRST_RESPONSE_ACTIONS;
 * - resolution: the first event whose to_status is approved, rejected or closed;
 * - SLA breach: first response after sla_due_at, or none yet, still open or waiting, and now at or past it;
 * - first-contact resolution: resolved tickets with no request_info event before the resolution;
 * - median and p90: nearest rank over the tickets that have the time (value at rank ceil(p·n)).
 */

/**
 * Staff actions the customer sees or that decide the ticket (the first one is the first response),
 * and the statuses that resolve a ticket: the same sets that stamp first_response_at and
 * resolved_at (app/tickets/tickets.server.ts), so the report and the queue's SLA clock agree.
 */
export { FIRST_RESPONSE_ACTIONS, RESOLVED_STATUSES };
/** The staff action that asks the customer for more information (one round each). */
export const INFO_ACTION = "request_info";

/** One line each, printed under the ticket tables. */
export const TICKET_DEFINITIONS = [
  `First response: the first staff action the customer sees or that decides the ticket (${[...FIRST_RESPONSE_ACTIONS].join(", ")}).`,
  "Resolved: the ticket reached approved, rejected or closed (time to resolution: to the first time). Still open: open or waiting for the customer now.",
  "SLA breach: the first response came after the SLA due time, or the ticket is still open or waiting with no response and the due time has come.",
  "First-contact resolution: resolved tickets with no request for more information before the resolution, as a share of resolved tickets.",
  "Median and 90th percentile: nearest rank (the value at rank ceil(p × n) of the sorted times), over the tickets that have that time.",
] as const;

const DAY_MS = 86_400_000;
/** The longest range one report covers (days). */
export const MAX_RANGE_DAYS = 366;
/** The default range: the last 30 days, today included. */
export const DEFAULT_RANGE_DAYS = 30;

// ---- date range ---------------------------------------------------------------------------

export type ReportRange = { from: string; to: string; fromMs: number; toMs: number };

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDay(ms) === text ? ms : null;
}

/**
 * The range from GET `from`/`to` (YYYY-MM-DD, UTC, both days included). Missing: the last 30 days
 * ending today. Returns an error sentence for anything else.
 */
export function parseRange(params: URLSearchParams, now: number): { ok: true; range: ReportRange } | { ok: false; error: string; from: string; to: string } {
  const rawFrom = (params.get("from") ?? "").trim().slice(0, 40);
  const rawTo = (params.get("to") ?? "").trim().slice(0, 40);
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  const toMs = rawTo ? parseDay(rawTo) : today;
  const fromMs = rawFrom ? parseDay(rawFrom) : (toMs ?? today) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS;
  if (fromMs === null || toMs === null) {
    return { ok: false, error: "Enter dates as YYYY-MM-DD, for example 2026-01-31.", from: rawFrom, to: rawTo };
  }
  if (fromMs > toMs) return { ok: false, error: "The start date must be on or before the end date.", from: rawFrom, to: rawTo };
  if ((toMs - fromMs) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    return { ok: false, error: `A report covers at most ${MAX_RANGE_DAYS} days.`, from: rawFrom, to: rawTo };
  }
  return { ok: true, range: { from: isoDay(fromMs), to: isoDay(toMs), fromMs, toMs: toMs + DAY_MS } };
}

// ---- statistics ---------------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..100): the value at rank ceil(p/100 · n) of the sorted values; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Milliseconds as hours with one decimal ("2.5"), or "—" for none. */
export function hours(ms: number | null): string {
  return ms === null ? "—" : (Math.round(ms / 360_000) / 10).toFixed(1);
}

/** A share as a percentage with one decimal ("66.7"), or "—" when there is nothing to share. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? "—" : (Math.round((part / whole) * 1000) / 10).toFixed(1);
}

const OPEN_STATUSES = ["open", "waiting_customer"];

export type TicketFacts = {
  reference: string;
  category: string;
  priority: string;
  tier: number;
  channel: string;
  status: string;
  createdAt: number;
  slaDueAt: number;
  firstResponseAt: number | null;
  resolvedAt: number | null;
  breached: boolean;
  infoRounds: number;
  /** Resolved with no request_info round before the resolution. */
  firstContact: boolean;
};

type EventLike = Pick<store.ReportEventRow, "at" | "actor" | "action" | "to_status">;

/** What one ticket's history says (events oldest first). */
export function ticketFacts(ticket: store.ReportTicketRow, events: readonly EventLike[], now: number): TicketFacts {
  const first = events.find((e) => e.actor.startsWith("staff:") && FIRST_RESPONSE_ACTIONS.has(e.action));
  const resolvedIndex = events.findIndex((e) => e.to_status !== null && RESOLVED_STATUSES.has(e.to_status));
  const resolved = resolvedIndex >= 0 ? events[resolvedIndex] : undefined;
  const infoRounds = events.filter((e) => e.action === INFO_ACTION).length;
  const infoBeforeResolution = resolved ? events.slice(0, resolvedIndex + 1).some((e) => e.action === INFO_ACTION) : false;
  const firstResponseAt = first?.at ?? null;
  return {
    reference: ticket.reference,
    category: ticket.category,
    priority: ticket.priority,
    tier: Number(ticket.tier),
    channel: ticket.channel,
    status: ticket.status,
    createdAt: ticket.created_at,
    slaDueAt: ticket.sla_due_at,
    firstResponseAt,
    resolvedAt: resolved?.at ?? null,
    // As the queue's SLA clock reads it (app/tickets/queue.server.ts slaState).
    breached: firstResponseAt !== null ? firstResponseAt > ticket.sla_due_at : OPEN_STATUSES.includes(ticket.status) && now >= ticket.sla_due_at,
    infoRounds,
    firstContact: Boolean(resolved) && !infoBeforeResolution,
  };
}

export type CountRow = { key: string; label: string; opened: number; resolved: number; open: number };
export type TimeStats = { count: number; medianMs: number | null; p90Ms: number | null };

export type TicketSummary = {
  opened: number;
  resolved: number;
  open: number;
  byCategory: CountRow[];
  byPriority: CountRow[];
  firstResponse: TimeStats;
  resolution: TimeStats;
  breaches: number;
  firstContactResolved: number;
};

function counts(facts: readonly TicketFacts[], keys: readonly (readonly [string, string])[], keyOf: (f: TicketFacts) => string): CountRow[] {
  return keys.map(([key, label]) => {
    const mine = facts.filter((f) => keyOf(f) === key);
    return { key, label, opened: mine.length, resolved: mine.filter((f) => f.resolvedAt !== null).length, open: mine.filter((f) => OPEN_STATUSES.includes(f.status)).length };
  });
}

function timeStats(durations: number[]): TimeStats {
  return { count: durations.length, medianMs: percentile(durations, 50), p90Ms: percentile(durations, 90) };
}

export function summariseTickets(facts: readonly TicketFacts[]): TicketSummary {
  const resolved = facts.filter((f) => f.resolvedAt !== null);
  return {
    opened: facts.length,
    resolved: resolved.length,
    open: facts.filter((f) => OPEN_STATUSES.includes(f.status)).length,
    byCategory: counts(facts, Object.entries(CATEGORIES), (f) => f.category),
    byPriority: counts(facts, [["high", "High"], ["normal", "Normal"]], (f) => f.priority),
    firstResponse: timeStats(facts.filter((f) => f.firstResponseAt !== null).map((f) => f.firstResponseAt! - f.createdAt)),
    resolution: timeStats(resolved.map((f) => f.resolvedAt! - f.createdAt)),
    breaches: facts.filter((f) => f.breached).length,
    firstContactResolved: resolved.filter((f) => f.firstContact).length,
  };
}

// ---- self-service recovery ----------------------------------------------------------------

export const RECOVERY_METHODS = {
  link: "E-mail link",
  code: "E-mail code",
  sms: "SMS (link or code)",
  passkey: "Passkey",
} as const;
export type RecoveryMethod = keyof typeof RECOVERY_METHODS;

/** One line each, printed under the recovery table. */
export const RECOVERY_DEFINITIONS = [
  "Started: the customer proved control in the range — opened a reset or unlock link and continued (link), entered an e-mailed code (code), either from an SMS (SMS), or verified a passkey for a passkey-alone reset (passkey).",
  "Completed: after that proof the same account set a new password or unlocked itself in the range (counted once, for the customer's latest proof).",
  "Requests: self-service reset and unlock messages sent to known accounts in the range, by e-mail and by SMS.",
] as const;

/** The audit events the recovery table reads. */
export const RECOVERY_EVENTS = [
  "password_reset_link_verified",
  "account_unlock_link_verified",
  "password_reset_code_verified",
  "account_unlock_code_verified",
  "password_reset_passkey_verified",
  "password_reset_completed",
  "account_unlocked",
] as const;

export type RecoveryRow = { method: RecoveryMethod; label: string; started: number; completed: number };
export type RecoverySummary = { rows: RecoveryRow[]; requestsEmail: number; requestsSms: number };

/**
 * Self-service recovery by method, from audit rows (chain order) and the recovery flows of known
 * accounts. A link or code proof takes the channel of the account's latest flow of that purpose
 * opened at or before it.
 */
export function summariseRecovery(audit: readonly store.ReportAuditRow[], flows: readonly store.ReportFlowRow[], range: { fromMs: number; toMs: number }): RecoverySummary {
  const started: Record<RecoveryMethod, number> = { link: 0, code: 0, sms: 0, passkey: 0 };
  const completed: Record<RecoveryMethod, number> = { link: 0, code: 0, sms: 0, passkey: 0 };
  const asked = flows.filter((f) => f.code_expires_at > f.created_at);
  const channelAt = (userId: string, purpose: string, at: number) => {
    let channel: string | null = null;
    for (const f of asked) if (f.user_id === userId && f.purpose === purpose && f.created_at <= at) channel = f.channel;
    return channel;
  };
  const pending = new Map<string, RecoveryMethod>();
  for (const row of audit) {
    if (!row.user_id || row.at < range.fromMs || row.at >= range.toMs) continue;
    const m = /^(password_reset|account_unlock)_(link|code|passkey)_verified$/.exec(row.event);
    if (m) {
      const purpose = m[1] === "password_reset" ? "reset" : "unlock";
      const method: RecoveryMethod = m[2] === "passkey" ? "passkey" : channelAt(row.user_id, purpose, row.at) === "sms" ? "sms" : (m[2] as "link" | "code");
      started[method]++;
      pending.set(`${row.user_id}:${purpose}`, method);
      continue;
    }
    let purpose: string | null = null;
    if (row.event === "password_reset_completed") purpose = "reset";
    else if (row.event === "account_unlocked" && safeDetails(row.details).how === "self_service_unlock") purpose = "unlock";
    if (!purpose) continue;
    const key = `${row.user_id}:${purpose}`;
    const method = pending.get(key);
    if (method) {
      completed[method]++;
      pending.delete(key);
    }
  }
  const inRange = asked.filter((f) => f.created_at >= range.fromMs && f.created_at < range.toMs);
  return {
    rows: (Object.keys(RECOVERY_METHODS) as RecoveryMethod[]).map((method) => ({ method, label: RECOVERY_METHODS[method], started: started[method], completed: completed[method] })),
    requestsEmail: inRange.filter((f) => f.channel === "email").length,
    requestsSms: inRange.filter((f) => f.channel === "sms").length,
  };
}

function safeDetails(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// ---- customer feedback (issue 15) ---------------------------------------------------------

/** One line each, printed under the feedback table. */
export const FEEDBACK_DEFINITIONS = [
  "Answers: \"How easy was this?\" (1 very hard to 5 very easy) given in the range, one per recovery (reset and unlock done pages) or per closed ticket (the ticket-closed e-mail's link).",
  "Average: the mean score with one decimal, over the answers of that row.",
] as const;

export type FeedbackMethodRow = { method: string; label: string; answers: number; average: string };
export type FeedbackSummary = { answers: number; average: string; distribution: { score: number; count: number }[]; byMethod: FeedbackMethodRow[] };

/** Mean with one decimal ("4.5"), or "—" for no answers. */
function average(scores: readonly number[]): string {
  return scores.length === 0 ? "—" : (Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 10) / 10).toFixed(1);
}

export function summariseFeedback(rows: readonly { method: string; score: number }[]): FeedbackSummary {
  const scores = rows.map((r) => Number(r.score));
  return {
    answers: rows.length,
    average: average(scores),
    distribution: [1, 2, 3, 4, 5].map((score) => ({ score, count: scores.filter((s) => s === score).length })),
    byMethod: (Object.keys(FEEDBACK_METHODS) as FeedbackMethod[]).map((method) => {
      const mine = rows.filter((r) => r.method === method).map((r) => Number(r.score));
      return { method, label: FEEDBACK_METHODS[method], answers: mine.length, average: average(mine) };
    }),
  };
}

// ---- CSV ----------------------------------------------------------------------------------

/**
 * One CSV cell (RFC 4180). A cell that a spreadsheet would read as a formula (starting with =, +,
 * -, @, tab or carriage return) gets a leading apostrophe; cells with commas, quotes or line
 * breaks are quoted. Plain numbers (e.g. "-1.5") are data, not formulas, and stay as they are.
 */
export function csvCell(value: string | number | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

const isoMinute = (t: number | null) => (t === null ? "" : new Date(t).toISOString().slice(0, 16) + "Z");

export const TICKET_CSV_HEADER = ["reference", "category", "priority", "tier", "channel", "status", "created", "first response", "resolved", "SLA due", "breached", "info rounds"] as const;

export function ticketsCsv(facts: readonly TicketFacts[]): string {
  return toCsv([
    TICKET_CSV_HEADER,
    ...facts.map((f) => [
      f.reference,
      f.category,
      f.priority,
      f.tier,
      f.channel,
      f.status,
      isoMinute(f.createdAt),
      isoMinute(f.firstResponseAt),
      isoMinute(f.resolvedAt),
      isoMinute(f.slaDueAt),
      f.breached ? "yes" : "no",
      f.infoRounds,
    ]),
  ]);
}

export const FEEDBACK_CSV_HEADER = ["answered", "kind", "purpose", "method", "score", "comment"] as const;

/** "How easy was this?" answers, one row each (the CLI's `feedback export`); comments formula-escaped like every cell. */
export function feedbackCsv(rows: readonly { created_at: number; kind: string; purpose: string; method: string; score: number; comment: string | null }[]): string {
  return toCsv([FEEDBACK_CSV_HEADER, ...rows.map((r) => [isoMinute(r.created_at), r.kind, r.purpose, r.method, Number(r.score), r.comment])]);
}

/** The report's numbers as rows of section, item, measure, value (the page's tables, flattened). */
export function summaryRows(report: Report): string[][] {
  const t = report.tickets;
  const rows: string[][] = [["section", "item", "measure", "value"]];
  rows.push(["range", "created", "from", report.range.from], ["range", "created", "to", report.range.to]);
  rows.push(["tickets", "all", "opened", String(t.opened)], ["tickets", "all", "resolved", String(t.resolved)], ["tickets", "all", "open", String(t.open)]);
  for (const [section, list] of [["category", t.byCategory], ["priority", t.byPriority]] as const) {
    for (const r of list) rows.push([section, r.key, "opened", String(r.opened)], [section, r.key, "resolved", String(r.resolved)], [section, r.key, "open", String(r.open)]);
  }
  for (const [item, s] of [["first_response", t.firstResponse], ["resolution", t.resolution]] as const) {
    rows.push(["time_hours", item, "tickets", String(s.count)], ["time_hours", item, "median", hours(s.medianMs)], ["time_hours", item, "p90", hours(s.p90Ms)]);
  }
  rows.push(["sla", "all", "breaches", String(t.breaches)]);
  rows.push(["first_contact_resolution", "resolved", "count", String(t.firstContactResolved)], ["first_contact_resolution", "resolved", "percent", percent(t.firstContactResolved, t.resolved)]);
  for (const r of report.recovery.rows) rows.push(["recovery", r.method, "started", String(r.started)], ["recovery", r.method, "completed", String(r.completed)]);
  rows.push(["recovery_requests", "email", "sent", String(report.recovery.requestsEmail)], ["recovery_requests", "sms", "sent", String(report.recovery.requestsSms)]);
  const f = report.feedback;
  rows.push(["feedback", "all", "responses", String(f.answers)], ["feedback", "all", "average", f.average]);
  for (const d of f.distribution) rows.push(["feedback_score", String(d.score), "responses", String(d.count)]);
  for (const m of f.byMethod) rows.push(["feedback_method", m.method, "responses", String(m.answers)], ["feedback_method", m.method, "average", m.average]);
  return rows;
}

// ---- loading and auditing -----------------------------------------------------------------

export type Report = { range: ReportRange; generatedAt: number; tickets: TicketSummary; recovery: RecoverySummary; feedback: FeedbackSummary; facts: TicketFacts[] };

/** How far back a flow may have been opened for a proof in the range (the longest link lives 7 days). */
const FLOW_LOOKBACK_MS = 7 * DAY_MS;

export async function buildReport(context: RequestContext, range: ReportRange): Promise<Report> {
  const { db, clock } = context.services;
  const now = clock.now();
  const [tickets, events, audit, flows, answers] = await Promise.all([
    store.ticketsCreatedBetween(db, range.fromMs, range.toMs),
    store.eventsOfTicketsCreatedBetween(db, range.fromMs, range.toMs),
    store.auditEventsBetween(db, RECOVERY_EVENTS, range.fromMs, range.toMs),
    store.flowsOpenedBetween(db, range.fromMs - FLOW_LOOKBACK_MS, range.toMs),
    feedbackBetween(db, range.fromMs, range.toMs),
  ]);
  const byTicket = new Map<string, store.ReportEventRow[]>();
  for (const e of events) {
    const list = byTicket.get(e.ticket_id) ?? [];
    list.push(e);
    byTicket.set(e.ticket_id, list);
  }
  const facts = tickets.map((t) => ticketFacts(t, byTicket.get(t.id) ?? [], now));
  return { range, generatedAt: now, tickets: summariseTickets(facts), recovery: summariseRecovery(audit, flows, range), feedback: summariseFeedback(answers), facts };
}

/**
 * A CSV download for the range in the request: 400 with one plain sentence for a bad range, else
 * text/csv as an attachment named by `make`, never cached.
 */
export async function csvResponse(request: Request, context: RequestContext, make: (range: ReportRange) => Promise<{ name: string; body: string }>): Promise<Response> {
  const parsed = parseRange(new URL(request.url).searchParams, context.services.clock.now());
  if (!parsed.ok) return new Response(`${parsed.error}\n`, { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
  const { name, body } = await make(parsed.range);
  return new Response(body, {
    headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${name}"`, "Cache-Control": "no-store" },
  });
}

/** Every view and export of a report is audited: who, which range, which form. */
export async function auditReportAccess(context: RequestContext, staff: Staff, range: ReportRange, format: "page" | "summary_csv" | "tickets_csv"): Promise<void> {
  await recordEvent(context, {
    event: format === "page" ? "report_viewed" : "report_exported",
    outcome: "success",
    actorType: "staff",
    actorId: staff.id,
    details: { from: range.from, to: range.to, format },
  });
}
