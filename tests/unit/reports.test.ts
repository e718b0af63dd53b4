import { describe, expect, test } from "vitest";
import { parseCsv } from "~/cli/csv";
import {
  csvCell,
  hours,
  parseRange,
  percent,
  percentile,
  summariseRecovery,
  summariseTickets,
  ticketFacts,
  ticketsCsv,
  toCsv,
} from "~/support/reports.server";
import type { ReportAuditRow, ReportFlowRow, ReportTicketRow } from "~/stores/reports.store";

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2026, 0, 10, 9, 0, 0);

const ticket = (over: Partial<ReportTicketRow> = {}): ReportTicketRow => ({
  id: "t",
  reference: "AR-AAAA-BBBB",
  category: "other",
  priority: "normal",
  tier: 1,
  channel: "web",
  status: "open",
  sla_due_at: T0 + 24 * H,
  created_at: T0,
  ...over,
});
const ev = (at: number, actor: string, action: string, to_status: string | null = null) => ({ at, actor, action, to_status });

describe("percentile (nearest rank)", () => {
  test("median and p90 take the value at rank ceil(p·n) of the sorted values", () => {
    // n = 5: median rank ceil(2.5) = 3 → 3; p90 rank ceil(4.5) = 5 → 10.
    expect(percentile([10, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([10, 1, 3, 2, 4], 90)).toBe(10);
    // n = 4: median rank 2 → 2 (the lower middle); p90 rank ceil(3.6) = 4 → 4.
    expect(percentile([4, 3, 2, 1], 50)).toBe(2);
    expect(percentile([4, 3, 2, 1], 90)).toBe(4);
    // n = 10: p90 rank 9.
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 90)).toBe(9);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  test("hours with one decimal, percentages with one decimal, a dash for nothing", () => {
    expect(hours(1.5 * H)).toBe("1.5");
    expect(hours(2 * H)).toBe("2.0");
    expect(hours(0.25 * H)).toBe("0.3");
    expect(hours(null)).toBe("—");
    expect(percent(2, 3)).toBe("66.7");
    expect(percent(0, 0)).toBe("—");
  });
});

describe("ticket facts", () => {
  test("first response is the first customer-visible staff action; internal staff events and customer events do not count", () => {
    const f = ticketFacts(
      ticket(),
      [ev(T0, "customer", "opened", "open"), ev(T0 + H, "staff:a", "claim"), ev(T0 + 2 * H, "customer", "contact_confirmed"), ev(T0 + 3 * H, "staff:a", "request_info", "waiting_customer"), ev(T0 + 5 * H, "staff:a", "approve", "approved")],
      T0 + 10 * H,
    );
    expect(f.firstResponseAt).toBe(T0 + 3 * H);
    expect(f.resolvedAt).toBe(T0 + 5 * H);
    expect(f.infoRounds).toBe(1);
    expect(f.firstContact).toBe(false);
    expect(f.breached).toBe(false);
  });

  test("resolution is the first time the ticket reached approved, rejected or closed; later rounds do not move it", () => {
    const f = ticketFacts(ticket(), [ev(T0 + H, "staff:a", "approve", "approved"), ev(T0 + 2 * H, "staff:a", "request_info", "waiting_customer"), ev(T0 + 3 * H, "staff:a", "close", "closed")], T0);
    expect(f.resolvedAt).toBe(T0 + H);
    expect(f.infoRounds).toBe(1);
    // The question came after the resolution: still resolved at first contact.
    expect(f.firstContact).toBe(true);
  });

  test("SLA breach: a late first response, or none yet and the due time passed; not yet due is no breach", () => {
    const due = T0 + 24 * H;
    expect(ticketFacts(ticket(), [ev(due + 1, "staff:a", "close", "closed")], due + 2).breached).toBe(true);
    expect(ticketFacts(ticket(), [ev(due, "staff:a", "close", "closed")], due + 2 * DAY).breached).toBe(false);
    expect(ticketFacts(ticket(), [], due + 1).breached).toBe(true);
    // The queue's SLA clock reads "breached" from the due instant on (slaState: now >= due).
    expect(ticketFacts(ticket(), [], due).breached).toBe(true);
    expect(ticketFacts(ticket(), [], due - 1).breached).toBe(false);
    expect(ticketFacts(ticket({ status: "waiting_customer" }), [], due + 1).breached).toBe(true);
    // Finished with no staff response (e.g. by the system): the queue shows no breach, nor does the report.
    expect(ticketFacts(ticket({ status: "closed" }), [ev(due - H, "system", "closed", "closed")], due + DAY).breached).toBe(false);
  });

  test("summary: counts by category and priority, nearest-rank times, breaches, first-contact resolution", () => {
    const facts = [
      ticketFacts(ticket({ reference: "A", category: "locked", status: "closed" }), [ev(T0 + 2 * H, "staff:a", "close", "closed")], T0 + DAY),
      ticketFacts(ticket({ reference: "B", category: "locked", status: "waiting_customer" }), [ev(T0 + 4 * H, "staff:a", "request_info", "waiting_customer")], T0 + DAY),
      ticketFacts(ticket({ reference: "C", category: "compromised", priority: "high", status: "rejected" }), [ev(T0 + 1 * H, "staff:a", "request_info", "waiting_customer"), ev(T0 + 6 * H, "staff:a", "reject", "rejected")], T0 + DAY),
      ticketFacts(ticket({ reference: "D", category: "other", status: "open" }), [], T0 + 2 * DAY),
    ];
    const s = summariseTickets(facts);
    expect([s.opened, s.resolved, s.open]).toEqual([4, 2, 2]);
    expect(s.byCategory.find((r) => r.key === "locked")).toMatchObject({ opened: 2, resolved: 1, open: 1 });
    expect(s.byCategory.find((r) => r.key === "compromised")).toMatchObject({ opened: 1, resolved: 1, open: 0 });
    expect(s.byCategory.find((r) => r.key === "lost_email")).toMatchObject({ opened: 0, resolved: 0, open: 0 });
    expect(s.byPriority).toEqual([
      { key: "high", label: "High", opened: 1, resolved: 1, open: 0 },
      { key: "normal", label: "Normal", opened: 3, resolved: 1, open: 2 },
    ]);
    // First responses 2, 4, 1 h → sorted 1, 2, 4: median rank 2 → 2 h, p90 rank 3 → 4 h.
    expect(s.firstResponse).toEqual({ count: 3, medianMs: 2 * H, p90Ms: 4 * H });
    // Resolutions 2, 6 h: median rank 1 → 2 h, p90 rank 2 → 6 h.
    expect(s.resolution).toEqual({ count: 2, medianMs: 2 * H, p90Ms: 6 * H });
    // D has no response and is 2 days old with a 24 h SLA.
    expect(s.breaches).toBe(1);
    // A resolved without a question; C had one.
    expect(s.firstContactResolved).toBe(1);
  });
});

describe("self-service recovery by method", () => {
  const range = { fromMs: T0, toMs: T0 + DAY };
  const flow = (user: string, channel: string, at: number, purpose = "reset"): ReportFlowRow => ({ user_id: user, purpose, channel, created_at: at, code_expires_at: at + 15 * 60_000, status: "active" });
  let seq = 0;
  const row = (event: string, user: string | null, at: number, details: object = {}): ReportAuditRow => ({ seq: ++seq, at, event, user_id: user, details: JSON.stringify(details) });

  test("proofs start a method (SMS by the flow's channel), a finished reset or unlock completes the latest; other rows and out-of-range rows are ignored", () => {
    const flows = [
      flow("u1", "email", T0 + 1000),
      flow("u2", "email", T0 + 1000),
      flow("u3", "sms", T0 + 1000),
      flow("u5", "email", T0 + 1000, "unlock"),
      // Opened by support (no code): not a self-service request.
      { ...flow("u6", "email", T0 + 1000), code_expires_at: T0 + 1000 },
    ];
    const audit = [
      row("password_reset_link_verified", "u1", T0 + 2000),
      row("password_reset_completed", "u1", T0 + 3000),
      row("password_reset_code_verified", "u2", T0 + 2000), // never finished
      row("password_reset_code_verified", "u3", T0 + 2000),
      row("password_reset_completed", "u3", T0 + 3000),
      row("password_reset_completed", "u3", T0 + 4000), // nothing pending: not counted twice
      row("password_reset_passkey_verified", "u4", T0 + 2000),
      row("password_reset_completed", "u4", T0 + 3000),
      row("account_unlock_link_verified", "u5", T0 + 2000),
      row("account_unlocked", "u5", T0 + 3000, { how: "self_service_unlock" }),
      row("account_unlocked", "u6", T0 + 3000, { how: "password_reset" }),
      row("password_reset_link_verified", "u7", T0 - 1), // before the range
    ];
    const s = summariseRecovery(audit, flows, range);
    expect(s.rows.map((r) => [r.method, r.started, r.completed])).toEqual([
      ["link", 2, 2],
      ["code", 1, 0],
      ["sms", 1, 1],
      ["passkey", 1, 1],
    ]);
    expect([s.requestsEmail, s.requestsSms]).toEqual([3, 1]);
  });
});

describe("date range", () => {
  const now = Date.UTC(2026, 2, 15, 13, 0);
  const q = (s: string) => new URLSearchParams(s);

  test("the last 30 days by default, both ends included (to is exclusive midnight after)", () => {
    const r = parseRange(q(""), now);
    expect(r).toMatchObject({ ok: true, range: { from: "2026-02-14", to: "2026-03-15", fromMs: Date.UTC(2026, 1, 14), toMs: Date.UTC(2026, 2, 16) } });
  });

  test("invalid dates, reversed ranges and too long ranges are refused with a sentence", () => {
    for (const s of ["from=2026-02-30", "from=yesterday", "to=2026-13-01", "from=2026-1-1", "from=2026-03-10&to=2026-03-01", "from=2020-01-01&to=2026-01-01"]) {
      const r = parseRange(q(s), now);
      expect(r.ok, s).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(10);
    }
    expect(parseRange(q("from=2026-03-01&to=2026-03-01"), now)).toMatchObject({ ok: true, range: { fromMs: Date.UTC(2026, 2, 1), toMs: Date.UTC(2026, 2, 2) } });
  });
});

describe("CSV", () => {
  test("formula-looking cells get an apostrophe, numbers stay numbers, quoting is RFC 4180 and parses back", () => {
    expect(csvCell("=HYPERLINK(\"x\")")).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell("+1")).toBe("+1".replace("+", "'+"));
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("-x")).toBe("'-x");
    expect(csvCell("-1.5")).toBe("-1.5");
    expect(csvCell(3)).toBe("3");
    expect(csvCell(null)).toBe("");
    const text = toCsv([["a", "b,c", 'say "hi"'], ["=1+1", "", "x\ny"]]);
    expect(parseCsv(text)).toEqual([
      ["a", "b,c", 'say "hi"'],
      ["'=1+1", "", "x\ny"],
    ]);
  });

  test("the ticket CSV has the agreed columns and no free text", () => {
    const f = ticketFacts(ticket({ reference: "AR-2222-3333" }), [ev(T0 + 2 * H, "staff:a", "request_info", "waiting_customer")], T0 + H);
    const rows = parseCsv(ticketsCsv([f]));
    expect(rows[0]).toEqual(["reference", "category", "priority", "tier", "channel", "status", "created", "first response", "resolved", "SLA due", "breached", "info rounds"]);
    expect(rows[1]).toEqual(["AR-2222-3333", "other", "normal", "1", "web", "open", "2026-01-10T09:00Z", "2026-01-10T11:00Z", "", "2026-01-11T09:00Z", "no", "1"]);
  });
});
