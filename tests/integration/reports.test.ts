import { beforeAll, describe, expect, test } from "vitest";
import { parseCsv } from "~/cli/csv";
import { mainOf } from "../helpers/customer";
import { usePortal } from "../helpers/portal";
import { staffDriver, type StaffLogin } from "../helpers/staff";
import { portalNow } from "../helpers/totp";

/**
 * Support reports (issue 14, "Reports"). Black-box over real HTTP: a FIXED set of five tickets is
 * opened through the public form and worked through the console while the portal's clock stands
 * still and is moved by exact hours, two customers recover by themselves (one by e-mail link to
 * the end, one enters the e-mailed code and stops), and the report page and both CSV exports must
 * show the numbers computed by hand below. Agents get 403; bad dates get 400; every view and
 * export is audited with who and which range.
 */

const STAFF_PASSWORD = "staff pass words here ok";
const NEW_PASSWORD = "granite willow ferry compass";
const H = 3_600_000;

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let supervisor: StaffLogin;
let agent: StaffLogin;

const { app, probe, customer } = usePortal({
  clients: { ip: "10.93" },
  env: {
    TRUST_PROXY: "loopback",
    SESSION_IDLE_MINUTES: "1440",
    SESSION_ABSOLUTE_HOURS: "24",
    TICKET_SLA_NORMAL_HOURS: "4",
    TICKET_SLA_HIGH_HOURS: "1",
    // The escalation sweep (real seconds) must not change priorities while the test runs.
    ESCALATION_SWEEP_SECONDS: "3600",
  },
  accounts: [{ username: "replink" }, { username: "repcode" }],
  setup: async () => {
    await staff.addAs("supervisor", "sup@reports.test");
    await staff.addAs("agent", "agent@reports.test");
    supervisor = await staff.enrol("sup@reports.test");
    agent = await staff.enrol("agent@reports.test");
  },
});

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
let range = "";
let t0 = 0;

/** Opens a ticket through the public form; returns its id. */
async function open(category: string): Promise<string> {
  const { res, reference } = await customer.submitTicket(customer.ticketForm({ category }));
  expect(res.status).toBe(200);
  return probe.ticketRow(reference!)!.id;
}

async function act(ticketId: string, action: string) {
  const done = await staff.act(supervisor.c, ticketId, { intent: "action", action, note: `report test: ${action}` });
  expect(done.status, done.text.slice(0, 300)).toBeLessThan(400);
  expect(probe.ticketById(ticketId)!.updated_at).toBe(await portalNow(app));
}

/** The cells of the table row marked data-key (or the single row of the totals table). */
function rowCells(html: string, testId: string, key?: string): string[] {
  const table = mainOf(html).match(new RegExp(`<table[^>]*data-testid="${testId}"[\\s\\S]*?</table>`))?.[0] ?? "";
  const row = key ? table.match(new RegExp(`<tr[^>]*data-key="${key}"[\\s\\S]*?</tr>`))?.[0] : table.match(/<tbody>\s*<tr[\s\S]*?<\/tr>/)?.[0];
  return [...(row ?? "").matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => m[1].replace(/<!-- -->/g, "").replace(/<[^>]+>/g, "").trim());
}

beforeAll(async () => {
  // Everything below happens at exact instants: the clock stands still and moves by whole hours.
  await app.freezeClock(true);
  t0 = await portalNow(app);
  // T0: five tickets. SLA: normal 4 h, high (compromised) 1 h.
  const A = await open("locked"); //        normal
  const B = await open("lost_email"); //    normal
  const C = await open("compromised"); //   high
  await open("other"); //                   D: normal, never answered
  const E = await open("lost_factor"); //   normal
  // T0: two self-service resets, by e-mail. replink: link, then a new password (completed).
  // repcode: the e-mailed code, then stops (started, not completed).
  const done = await customer.setPassword(await customer.resetByLink("replink", "replink@example.test"), NEW_PASSWORD);
  expect(done.location).toBe("/reset/done");
  const asked = await customer.requestResetMail("repcode", "repcode@example.test");
  const entered = await customer.enterCode(asked.c, asked.code!);
  expect(entered.status).toBe(303);

  await app.advanceClock(1 * H); // T0+1h
  await act(A, "close");
  await app.advanceClock(1 * H); // T0+2h
  await act(B, "request_info");
  await act(C, "request_info");
  await app.advanceClock(1 * H); // T0+3h
  await act(E, "close");
  await app.advanceClock(2 * H); // T0+5h
  await act(B, "reject");
  await app.advanceClock(1 * H); // T0+6h: the report is read now.
  range = `from=${day(t0)}&to=${day(t0 + 6 * H)}`;
}, 120_000);

/*
 * By hand (hours after T0):
 *   A locked       normal  first response 1 (close)          resolved 1   no question  → FCR
 *   B lost_email   normal  first response 2 (request_info)   resolved 5   one question
 *   C compromised  high    first response 2 > SLA 1 → breach  waiting for the customer (open)
 *   D other        normal  no response, now 6 > SLA 4 → breach  open
 *   E lost_factor  normal  first response 3 (close)          resolved 3   no question  → FCR
 * Opened 5, resolved 3 (A, B, E), still open 2 (C, D); high 1/0/1, normal 4/3/1.
 * First response: 1, 2, 2, 3 (n = 4): median rank ceil(2) = 2 → 2.0 h; p90 rank ceil(3.6) = 4 → 3.0 h.
 * Resolution: 1, 3, 5 (n = 3): median rank ceil(1.5) = 2 → 3.0 h; p90 rank ceil(2.7) = 3 → 5.0 h.
 * SLA breaches 2 (C, D). First-contact resolution 2 of 3 = 66.7 %.
 * Recovery: link started 1 completed 1; code started 1 completed 0; SMS 0/0; passkey 0/0;
 * requests sent: 2 by e-mail, 0 by SMS.
 */
const EXPECTED_COUNTS = {
  category: { lost_email: [1, 1, 0], lost_factor: [1, 1, 0], locked: [1, 1, 0], compromised: [1, 0, 1], other: [1, 0, 1] },
  priority: { high: [1, 0, 1], normal: [4, 3, 1] },
} as const;

describe("support reports", () => {
  test("the page shows the hand-computed numbers for the fixed tickets and recoveries, says it counts tickets created in the range, and is audited", async () => {
    const res = await supervisor.c.get(`/support/reports?${range}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(mainOf(html).replace(/<!-- -->/g, "")).toContain(`<strong>created</strong> from ${day(t0)} to ${day(t0 + 6 * H)}`);
    expect(rowCells(html, "totals")).toEqual(["5", "3", "2", "2", "2 of 3 (66.7%)"]);
    for (const [key, want] of Object.entries(EXPECTED_COUNTS.category)) expect(rowCells(html, "by-category", key).slice(1), key).toEqual(want.map(String));
    for (const [key, want] of Object.entries(EXPECTED_COUNTS.priority)) expect(rowCells(html, "by-priority", key).slice(1), key).toEqual(want.map(String));
    expect(rowCells(html, "times", "first_response")).toEqual(["First response", "4", "2.0", "3.0"]);
    expect(rowCells(html, "times", "resolution")).toEqual(["Resolution", "3", "3.0", "5.0"]);
    expect(rowCells(html, "recovery", "link").slice(1)).toEqual(["1", "1"]);
    expect(rowCells(html, "recovery", "code").slice(1)).toEqual(["1", "0"]);
    expect(rowCells(html, "recovery", "sms").slice(1)).toEqual(["0", "0"]);
    expect(rowCells(html, "recovery", "passkey").slice(1)).toEqual(["0", "0"]);
    expect(mainOf(html).replace(/<!-- -->/g, "")).toContain("Requests sent: 2 by e-mail, 0 by SMS.");
    expect(mainOf(html)).toContain("No feedback collected yet");
    expect(html).toContain(`href="/support/reports.csv?${range.replace("&", "&amp;")}"`);
    expect(html).toContain(`href="/support/reports/tickets.csv?${range.replace("&", "&amp;")}"`);

    const views = probe.auditEvents({ event: "report_viewed" }).filter((r) => r.actor_id === supervisor.id);
    expect(views.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(views.at(-1)!.details)).toEqual({ from: day(t0), to: day(t0 + 6 * H), format: "page" });
  });

  test("the summary CSV is an attachment named by the range and parses to the same numbers", async () => {
    const res = await supervisor.c.get(`/support/reports.csv?${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="support-report_${day(t0)}_${day(t0 + 6 * H)}.csv"`);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(["section", "item", "measure", "value"]);
    const value = (section: string, item: string, measure: string) => rows.find((r) => r[0] === section && r[1] === item && r[2] === measure)?.[3];
    expect([value("tickets", "all", "opened"), value("tickets", "all", "resolved"), value("tickets", "all", "open")]).toEqual(["5", "3", "2"]);
    for (const [section, table] of Object.entries(EXPECTED_COUNTS)) {
      for (const [key, want] of Object.entries(table)) {
        expect([value(section, key, "opened"), value(section, key, "resolved"), value(section, key, "open")], `${section} ${key}`).toEqual(want.map(String));
      }
    }
    expect([value("time_hours", "first_response", "tickets"), value("time_hours", "first_response", "median"), value("time_hours", "first_response", "p90")]).toEqual(["4", "2.0", "3.0"]);
    expect([value("time_hours", "resolution", "tickets"), value("time_hours", "resolution", "median"), value("time_hours", "resolution", "p90")]).toEqual(["3", "3.0", "5.0"]);
    expect(value("sla", "all", "breaches")).toBe("2");
    expect([value("first_contact_resolution", "resolved", "count"), value("first_contact_resolution", "resolved", "percent")]).toEqual(["2", "66.7"]);
    expect([value("recovery", "link", "started"), value("recovery", "link", "completed"), value("recovery", "code", "started"), value("recovery", "code", "completed")]).toEqual(["1", "1", "1", "0"]);
    expect([value("recovery_requests", "email", "sent"), value("recovery_requests", "sms", "sent")]).toEqual(["2", "0"]);
    // No "How easy was this?" answers in this range (issue 15 counts them; tests/integration/feedback.test.ts).
    expect([value("feedback", "all", "responses"), value("feedback", "all", "average")]).toEqual(["0", "—"]);

    const exports = probe.auditEvents({ event: "report_exported" }).filter((r) => r.actor_id === supervisor.id).map((r) => JSON.parse(r.details));
    expect(exports).toContainEqual({ from: day(t0), to: day(t0 + 6 * H), format: "summary_csv" });
  });

  test("the ticket CSV lists the five tickets with their times, breaches and rounds, and no customer free text", async () => {
    const res = await supervisor.c.get(`/support/reports/tickets.csv?${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="support-tickets_${day(t0)}_${day(t0 + 6 * H)}.csv"`);
    const text = await res.text();
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(["reference", "category", "priority", "tier", "channel", "status", "created", "first response", "resolved", "SLA due", "breached", "info rounds"]);
    const at = (hours: number) => new Date(t0 + hours * H).toISOString().slice(0, 16) + "Z";
    const byCategory = Object.fromEntries(rows.slice(1).map((r) => [r[1], r.slice(2)]));
    expect(rows).toHaveLength(6);
    // priority, tier, channel, status, created, first response, resolved, SLA due, breached, info rounds
    expect(byCategory.locked).toEqual(["normal", "1", "web", "closed", at(0), at(1), at(1), at(4), "no", "0"]);
    expect(byCategory.lost_email).toEqual(["normal", "1", "web", "rejected", at(0), at(2), at(5), at(4), "no", "1"]);
    expect(byCategory.compromised).toEqual(["high", "1", "web", "waiting_customer", at(0), at(2), "", at(1), "yes", "1"]);
    expect(byCategory.other).toEqual(["normal", "1", "web", "open", at(0), "", "", at(4), "yes", "0"]);
    expect(byCategory.lost_factor).toEqual(["normal", "1", "web", "closed", at(0), at(3), at(3), at(4), "no", "0"]);
    // The history-based times agree with the columns the queue stamps (first_response_at, resolved_at).
    const iso = (t: unknown) => (t === null || t === undefined ? "" : new Date(Number(t)).toISOString().slice(0, 16) + "Z");
    for (const r of rows.slice(1)) {
      const stored = probe.ticketRow(r[0])!;
      expect([r[7], r[8]], r[0]).toEqual([iso(stored.first_response_at), iso(stored.resolved_at)]);
    }
    // The form's free text (name, contact, details) never leaves in the CSV.
    for (const secret of ["Ada Lovelace", "I typed the wrong password", "@contact.test", "report test:"]) expect(text).not.toContain(secret);
    const exports = probe.auditEvents({ event: "report_exported" }).filter((r) => r.actor_id === supervisor.id).map((r) => JSON.parse(r.details));
    expect(exports).toContainEqual({ from: day(t0), to: day(t0 + 6 * H), format: "tickets_csv" });
  });

  test("a range before the tickets shows zeros; the default range (last 30 days) includes them", async () => {
    const before = await supervisor.c.get(`/support/reports?from=2020-01-01&to=2020-01-31`);
    expect(before.status).toBe(200);
    expect(rowCells(await before.text(), "totals")).toEqual(["0", "0", "0", "0", "0 of 0 (—%)"]);
    const plain = await supervisor.c.get("/support/reports");
    expect(plain.status).toBe(200);
    expect(rowCells(await plain.text(), "totals").slice(0, 3)).toEqual(["5", "3", "2"]);
  });

  test("an agent gets 403 for the page and both exports, audited as refused", async () => {
    for (const path of ["/support/reports", `/support/reports.csv?${range}`, `/support/reports/tickets.csv?${range}`]) {
      const res = await agent.c.get(path);
      expect(res.status, path).toBe(403);
      expect(res.headers.get("content-type"), path).not.toMatch(/csv/);
    }
    const refused = probe.auditEvents({ event: "staff_access_refused" }).filter((r) => r.actor_id === agent.id).map((r) => JSON.parse(r.details).path);
    expect(refused).toEqual(expect.arrayContaining(["/support/reports", "/support/reports.csv", "/support/reports/tickets.csv"]));
    expect(probe.auditEvents({ event: ["report_viewed", "report_exported"] }).filter((r) => r.actor_id === agent.id)).toEqual([]);
  });

  test("bad dates answer 400 with a clear message, never a 500, on the page and both exports", async () => {
    for (const q of ["from=2026-02-30", "from=tomorrow&to=2026-01-01", "from=2026-03-10&to=2026-03-01", "from=2000-01-01&to=2026-01-01", "to=%00"]) {
      const pageRes = await supervisor.c.get(`/support/reports?${q}`);
      expect(pageRes.status, q).toBe(400);
      const html = await pageRes.text();
      expect(mainOf(html), q).toMatch(/Enter dates as YYYY-MM-DD|start date must be on or before|at most 366 days/);
      expect(mainOf(html), q).toContain('name="from"');
      for (const path of ["/support/reports.csv", "/support/reports/tickets.csv"]) {
        const res = await supervisor.c.get(`${path}?${q}`);
        expect(res.status, `${path}?${q}`).toBe(400);
        expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      }
    }
  });
});
