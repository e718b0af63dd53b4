import { describe, expect, test } from "vitest";
import { outboxSettled, startApp, TEST_METRICS_TOKEN, type TestApp } from "../helpers/app";
import { mainOf, readable, sleep } from "../helpers/customer";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { testEngine } from "../helpers/postgres";
import { staffDriver, type StaffLogin } from "../helpers/staff";
import { portalNow } from "../helpers/totp";

/**
 * The support queue (issue 14, "Assignment" and "Tiers and escalation"), black-box over real HTTP
 * against the real portal and a real SMTP sink: claiming (two claims at once give one winner),
 * assigning and the reassignment rule (supervisors and admins only), the list's views, tier filter
 * and search by each key, the SLA sweep (ESCALATION_SWEEP_SECONDS=1) escalating a breached ticket
 * exactly once with exactly one e-mail to ESCALATION_EMAIL, also with two portals sweeping one
 * PostgreSQL database, a ticket with a first response left alone, manual escalation with a note,
 * first-response and resolution stamps, and the scrape-time gauges on /metrics.
 *
 * SLAs are short here (normal 2 h, high 1 h) so that moving the portal clock 3 h breaches them
 * without ending the staff sessions.
 */

const STAFF_PASSWORD = "staff pass words here ok";
const ESCALATION = "escalations@queue.test";
const SWEEP_ENV = { ESCALATION_EMAIL: ESCALATION, ESCALATION_SWEEP_SECONDS: "1", TICKET_SLA_NORMAL_HOURS: "2", TICKET_SLA_HIGH_HOURS: "1" };
const HOUR = 3_600_000;

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let agentA: StaffLogin;
let agentB: StaffLogin;
let supervisor: StaffLogin;

const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.93" },
  env: { TRUST_PROXY: "loopback", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24", ...SWEEP_ENV },
  accounts: [{ username: "qsearch", phone: "+14155550123" }],
  setup: async () => {
    await staff.addAs("agent", "qa@queue.test", "qb@queue.test");
    await staff.addAs("supervisor", "qsup@queue.test");
    agentA = await staff.enrol("qa@queue.test");
    agentB = await staff.enrol("qb@queue.test");
    supervisor = await staff.enrol("qsup@queue.test");
  },
});
const { freshContact, ticketForm } = customer;

type QueueRow = { id: string; reference: string; tier: number; priority: string; assigned_to: string | null; first_response_at: number | null; escalated_at: number | null; resolved_at: number | null; status: string; sla_due_at: number };

async function openTicket(over: Record<string, string> = {}) {
  const { res, reference } = await customer.submitTicket(ticketForm(over));
  expect(res.status).toBe(200);
  return row(reference!);
}
const row = (reference: string) => {
  const r = probe.ticketRow(reference) as unknown as QueueRow;
  return { ...r, tier: Number(r.tier), first_response_at: r.first_response_at === null ? null : Number(r.first_response_at), escalated_at: r.escalated_at === null ? null : Number(r.escalated_at) };
};
const post = (c: Client, ticketId: string, form: Record<string, string>) => staff.act(c, ticketId, form);
const list = async (c: Client, query: string) => {
  const res = await c.get(`/support?${query}`);
  expect(res.status).toBe(200);
  return mainOf(await res.text());
};
/** The list row (its text) that shows `reference`. */
const rowOf = (html: string, reference: string) => {
  const item = html.split("<li").find((part) => part.includes(reference));
  expect(item, reference).toBeDefined();
  return readable("<li" + item!.split("</li>")[0]);
};
const eventsOf = (ticketId: string, action: string) => probe.ticketEvents(ticketId).filter((e) => e.action === action);
const auditFor = (event: string, reference: string) => probe.auditEvents({ event }).filter((e) => (JSON.parse(e.details) as { ticket?: string }).ticket === reference);
const escalationMails = (reference: string) => mail.to(ESCALATION).filter((m) => m.subject.includes(reference));

async function until(check: () => boolean, what: string, timeoutMs = 15_000) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("assignment", () => {
  test("two claims at once give one winner: one assignee, one history row, one audit event", async () => {
    const t = await openTicket();
    const answers = await Promise.all([post(agentA.c, t.id, { intent: "claim" }), post(agentB.c, t.id, { intent: "claim" })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = answers[0].status === 200 ? agentA : agentB;
    expect(answers.find((a) => a.status === 409)!.text).toContain("Someone else");
    expect(row(t.reference).assigned_to).toBe(winner.id);
    expect(eventsOf(t.id, "claimed")).toHaveLength(1);
    expect(eventsOf(t.id, "claimed")[0].actor).toBe(`staff:${winner.id}`);
    const audit = auditFor("ticket_claimed", t.reference);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: "staff", actor_id: winner.id });
    // The page shows who has it.
    const page = readable(mainOf((await staff.viewTicket(agentA.c, t.id)).text));
    expect(page).toMatch(new RegExp(`Assigned to\\s*${winner === agentA ? "qa \\(you\\)" : "qb"}`));
  });

  test("any staff member assigns an unassigned ticket; reassigning someone else's is for supervisors; every change is history and audit", async () => {
    const t = await openTicket();
    // An agent assigns an unassigned ticket to a colleague.
    const first = await post(agentA.c, t.id, { intent: "assign", assignee: agentB.id });
    expect(first.status).toBe(200);
    expect(first.text).toContain("Assigned to qb.");
    expect(row(t.reference).assigned_to).toBe(agentB.id);
    // Another agent cannot take it away, nor claim it.
    const taken = await post(agentA.c, t.id, { intent: "assign", assignee: agentA.id });
    expect(taken.status).toBe(403);
    expect(taken.text).toContain("Only a supervisor or an admin can reassign");
    expect((await post(agentA.c, t.id, { intent: "claim" })).status).toBe(409);
    expect(row(t.reference).assigned_to).toBe(agentB.id);
    // A supervisor reassigns.
    const moved = await post(supervisor.c, t.id, { intent: "assign", assignee: agentA.id });
    expect(moved.status).toBe(200);
    expect(row(t.reference).assigned_to).toBe(agentA.id);
    // Nobody assigns to an unknown staff member.
    expect((await post(supervisor.c, t.id, { intent: "assign", assignee: "nosuchstaffmemberatall23" })).status).toBe(400);
    expect(row(t.reference).assigned_to).toBe(agentA.id);
    const history = eventsOf(t.id, "assigned");
    expect(history.map((e) => e.actor)).toEqual([`staff:${agentA.id}`, `staff:${supervisor.id}`]);
    expect(history[1].note).toBe("assigned to qa (was qb)");
    expect(auditFor("ticket_assigned", t.reference).map((e) => e.actor_id)).toEqual([agentA.id, supervisor.id]);
    // The agent who no longer may reassign sees no assign form on a colleague's ticket.
    const claimed = await openTicket();
    expect((await post(agentB.c, claimed.id, { intent: "claim" })).status).toBe(200);
    const page = (await staff.viewTicket(agentA.c, claimed.id)).text;
    expect(page).not.toContain('name="assignee"');
    expect(page).toContain("Only a supervisor or an admin can reassign");
    expect((await staff.viewTicket(supervisor.c, claimed.id)).text).toContain('name="assignee"');
  });
});

describe("the list: views, tier and search", () => {
  test("my tickets and unassigned views, tier filter", async () => {
    const mine = await openTicket();
    const free = await openTicket();
    expect((await post(agentA.c, mine.id, { intent: "claim" })).status).toBe(200);
    const all = await list(agentA.c, "view=all");
    expect(all).toContain(mine.reference);
    expect(all).toContain(free.reference);
    const myView = await list(agentA.c, "view=mine");
    expect(myView).toContain(mine.reference);
    expect(myView).not.toContain(free.reference);
    expect(await list(agentB.c, "view=mine")).not.toContain(mine.reference);
    const unassigned = await list(agentB.c, "view=unassigned");
    expect(unassigned).toContain(free.reference);
    expect(unassigned).not.toContain(mine.reference);
    expect(rowOf(all, mine.reference)).toMatch(/tier 1.*assigned to qa/);
    expect(await list(agentA.c, "tier=1")).toContain(free.reference);
    expect(await list(agentA.c, "tier=2")).not.toContain(free.reference);
  });

  test("search by reference (any case), contact e-mail, the account's username, e-mail or phone, and the contact phone as typed", async () => {
    const contact = freshContact("search");
    const t = await openTicket({ accountHint: "qsearch", contactEmail: contact, contactPhone: "(415) 555-0199" });
    const other = await openTicket();
    const found = async (q: string) => {
      const html = await list(agentA.c, `q=${encodeURIComponent(q)}`);
      return { hit: html.includes(t.reference), other: html.includes(other.reference) };
    };
    for (const q of [t.reference, t.reference.toLowerCase(), contact, contact.toUpperCase(), "qsearch", "QSearch", "qsearch@example.test", "+1 415 555 0123", "(415) 555-0123", "+14155550199", "415.555.0199"]) {
      expect(await found(q), q).toEqual({ hit: true, other: false });
    }
    for (const q of ["AR-ZZZZ-ZZZZ", "nobody@nowhere.test", "+1 415 555 0100", "qsearc"]) {
      expect(await found(q), q).toEqual({ hit: false, other: false });
    }
    // The search box is a GET form with a label: it works without JavaScript.
    const html = await list(agentA.c, "");
    expect(html).toMatch(/<form method="get"[^>]*>/);
    expect(html).toMatch(/<label for="q">Search/);
  });
});

describe("SLA and escalation", () => {
  test("first response and resolution are stamped once by the actions that count", async () => {
    const t = await openTicket();
    expect(row(t.reference).first_response_at).toBeNull();
    // Claiming is no response to the customer.
    expect((await post(agentA.c, t.id, { intent: "claim" })).status).toBe(200);
    expect(row(t.reference).first_response_at).toBeNull();
    const asked = await post(agentA.c, t.id, { action: "request_info", note: "Please send the date you opened the account." });
    expect(asked.status).toBe(200);
    const firstAt = row(t.reference).first_response_at;
    expect(firstAt).not.toBeNull();
    await app.advanceClock(60_000);
    expect((await post(agentA.c, t.id, { action: "close", note: "Customer answered by phone; done." })).status).toBe(200);
    const done = probe.ticketRow(t.reference) as unknown as QueueRow;
    expect(Number(done.first_response_at)).toBe(firstAt);
    expect(Number(done.resolved_at)).toBeGreaterThan(firstAt!);
    const page = readable(mainOf((await staff.viewTicket(agentA.c, t.id)).text));
    expect(page).toContain("first response at");
    expect(page).toContain("first response within the SLA");
  });

  test("a ticket past its SLA without a first response is escalated exactly once, with exactly one e-mail to ESCALATION_EMAIL; a ticket with a first response is not", async () => {
    const breached = await openTicket({ category: "locked" });
    const answered = await openTicket({ category: "locked" });
    expect((await post(agentB.c, answered.id, { action: "request_info", note: "Which e-mail did you use to sign up?" })).status).toBe(200);
    // Not yet due: nothing happens.
    await sleep(1500);
    expect(row(breached.reference).escalated_at).toBeNull();
    const before = readable(mainOf((await staff.viewTicket(agentA.c, breached.id)).text));
    expect(before).toMatch(/\d+(\.\d)? h left/);

    await app.advanceClock(3 * HOUR);
    await until(() => row(breached.reference).escalated_at !== null, "the sweep to escalate the ticket");
    // Several more sweeps run (every second): still once.
    await sleep(3000);
    await outboxSettled(app);
    const r = row(breached.reference);
    expect(r).toMatchObject({ tier: 2, priority: "high" });
    expect(eventsOf(breached.id, "escalated")).toHaveLength(1);
    expect(eventsOf(breached.id, "escalated")[0].actor).toBe("system");
    expect(eventsOf(breached.id, "escalated")[0].note).toMatch(/^no first response within the 2-hour SLA, due \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(auditFor("ticket_escalated", breached.reference)).toHaveLength(1);
    expect(auditFor("ticket_escalated", breached.reference)[0]).toMatchObject({ actor_type: "system", outcome: "info" });
    // One queued e-mail per escalation, all to ESCALATION_EMAIL (sent rows keep no payload to tell them apart).
    const queued = probe.outboxByTemplate("ticket-escalated");
    expect(queued.length).toBe(probe.auditEvents({ event: "ticket_escalated" }).length);
    expect(new Set(queued.map((o) => o.recipient))).toEqual(new Set([ESCALATION]));
    const mails = escalationMails(breached.reference);
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toEqual([ESCALATION]);
    expect(mails[0].subject).toBe(`[${breached.reference}] Escalated to tier 2: My account is locked`);
    expect(mails[0].text).toContain("no first response within the 2-hour SLA");
    expect(mails[0].text).toContain(`${app.origin}/support/tickets/${breached.id}`);

    // The answered ticket stays in tier 1.
    expect(row(answered.reference)).toMatchObject({ tier: 1, escalated_at: null });
    expect(escalationMails(answered.reference)).toEqual([]);

    // The list and the ticket show it.
    const tier2 = await list(agentA.c, "tier=2");
    expect(rowOf(tier2, breached.reference)).toMatch(/high · tier 2 ?escalated.*OVERDUE SLA breached \(breached by \d/);
    expect(tier2).not.toContain(answered.reference);
    const page = readable(mainOf((await staff.viewTicket(agentA.c, breached.id)).text));
    expect(page).toMatch(/Tier 2 escalated \d{4}-/);
    expect(page).toMatch(/SLA breached: breached by \d/);
    // High priority first in the queue: the escalated ticket comes before the answered one.
    const all = await list(agentA.c, "view=all");
    expect(all.indexOf(breached.reference)).toBeLessThan(all.indexOf(answered.reference));
  });

  test.runIf(testEngine() === "postgres")("two portals sweeping one PostgreSQL database escalate a breached ticket once, with one e-mail", async () => {
    const second: TestApp = await startApp({ smtpUrl: mail.url, env: { DATABASE_URL: app.databaseUrl!, TRUST_PROXY: "loopback", ...SWEEP_ENV } });
    try {
      const t = await openTicket();
      // Both clocks past the ticket's due time; both sweep every second.
      const [firstNow, secondNow] = [await portalNow(app), await portalNow(second)];
      await app.advanceClock(3 * HOUR);
      await second.advanceClock(firstNow - secondNow + 3 * HOUR);
      await until(() => row(t.reference).escalated_at !== null, "a sweep to escalate the ticket");
      await sleep(3000);
      await outboxSettled(app);
      expect(eventsOf(t.id, "escalated")).toHaveLength(1);
      expect(auditFor("ticket_escalated", t.reference)).toHaveLength(1);
      await until(() => escalationMails(t.reference).length > 0, "the escalation e-mail");
      await sleep(500);
      expect(escalationMails(t.reference)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  test("manual escalation needs a note, moves the ticket to tier 2 with one e-mail, once", async () => {
    const t = await openTicket({ category: "other" });
    for (const note of ["", "  x ", "y".repeat(2001)]) {
      const r = await post(agentA.c, t.id, { intent: "escalate", escalation_note: note });
      expect(r.status, JSON.stringify(note)).toBe(400);
      expect(r.text).toContain("Write a note of 3 to 2000 characters");
    }
    expect(row(t.reference).escalated_at).toBeNull();
    const r = await post(agentA.c, t.id, { intent: "escalate", escalation_note: "Customer is a journalist; needs a senior look." });
    expect(r.status).toBe(200);
    expect(r.text).toContain("Escalated to tier 2");
    expect(row(t.reference)).toMatchObject({ tier: 2, priority: "high" });
    const again = await post(agentB.c, t.id, { intent: "escalate", escalation_note: "Once more, please." });
    expect(again.status).toBe(409);
    await outboxSettled(app);
    const mails = escalationMails(t.reference);
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain("escalated by qa: Customer is a journalist; needs a senior look.");
    const history = eventsOf(t.id, "escalated");
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actor: `staff:${agentA.id}`, note: "Customer is a journalist; needs a senior look." });
    expect(auditFor("ticket_escalated", t.reference)).toHaveLength(1);
    expect(auditFor("ticket_escalated", t.reference)[0]).toMatchObject({ actor_type: "staff", actor_id: agentA.id });
    // Escalation is no response to the customer: the SLA clock runs on.
    expect(row(t.reference).first_response_at).toBeNull();
    // A finished ticket cannot be escalated.
    const closed = await openTicket();
    expect((await post(agentA.c, closed.id, { action: "close", note: "Duplicate of another ticket." })).status).toBe(200);
    expect((await post(agentA.c, closed.id, { intent: "escalate", escalation_note: "Too late now." })).status).toBe(409);
  });
});

describe("metrics", () => {
  test("open tickets by tier, SLA breaches and outbox backlog are read at scrape time; escalations are counted", async () => {
    await outboxSettled(app);
    // Messages that cannot be delivered stay in the backlog.
    mail.failing = true;
    try {
      await openTicket();
      await until(() => probe.outboxUndelivered() >= 2, "queued messages");
      await app.freezeClock(true);
      const now = await portalNow(app);
      const res = await fetch(`${app.origin}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      const value = (series: string) => {
        const m = new RegExp(`^${series.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text);
        expect(m, series).not.toBeNull();
        return Number(m![1]);
      };
      const tickets = probe.allTickets() as unknown as QueueRow[];
      const active = tickets.filter((t) => t.status === "open" || t.status === "waiting_customer");
      expect(value('portal_tickets_open{tier="1"}')).toBe(active.filter((t) => Number(t.tier) === 1).length);
      expect(value('portal_tickets_open{tier="2"}')).toBe(active.filter((t) => Number(t.tier) === 2).length);
      expect(value('portal_tickets_open{tier="2"}')).toBeGreaterThanOrEqual(2);
      expect(value("portal_tickets_sla_breached")).toBe(active.filter((t) => t.first_response_at === null && Number(t.sla_due_at) <= now).length);
      expect(value("portal_tickets_sla_breached")).toBeGreaterThanOrEqual(1);
      expect(value("portal_outbox_backlog")).toBe(probe.outboxUndelivered());
      expect(value("portal_outbox_backlog")).toBeGreaterThanOrEqual(2);
      expect(value('portal_ticket_escalations_total{how="manual"}')).toBe(1);
      expect(value('portal_ticket_escalations_total{how="sla"}')).toBeGreaterThanOrEqual(1);
    } finally {
      mail.failing = false;
      await app.freezeClock(false);
    }
  });
});
