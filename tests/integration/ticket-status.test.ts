import { describe, expect, test } from "vitest";
import { mainOf, pathOf, readable } from "../helpers/customer";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";
import { linkIn } from "../helpers/smtp-sink";
import { staffDriver, type StaffLogin } from "../helpers/staff";

/**
 * The customer's side of a ticket and staff-opened phone tickets (issue 14, "Customer replies",
 * "Staff-opened tickets"). Black-box over real HTTP against the real portal with a real SMTP sink:
 * the acknowledgement carries a status link; following it leaves the browser at a URL without the
 * token; the page shows the status, what the customer wrote, the questions staff asked (and no
 * other staff note) and the customer's replies; a reply lands in the history, reopens a ticket that
 * waited for the customer and notifies the assigned agent (or SUPPORT_EMAIL) without its text;
 * finished tickets take no replies; bad tokens are 4xx and spend the link-guessing budget. An agent
 * opens a phone ticket with the same checklist: channel phone, actor staff, acknowledgement sent.
 */

const SUPPORT = "support@localhost";
const STAFF_PASSWORD = "staff pass words here ok";
const LINK_BUDGET = 6;

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let agent: StaffLogin;

const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.91" },
  env: {
    TRUST_PROXY: "loopback",
    SESSION_IDLE_MINUTES: "1440",
    SESSION_ABSOLUTE_HOURS: "24",
    LIMIT_LINK_FAILURES_PER_IP_PER_15MIN: String(LINK_BUDGET),
    LIMIT_TICKETS_PER_IP_PER_HOUR: "100",
    LIMIT_TICKETS_PER_CONTACT_PER_DAY: "100",
  },
  setup: async () => {
    await staff.addAs("agent", "agent@status.test");
    agent = await staff.enrol("agent@status.test");
  },
});
const { client, freshContact, ticketForm, nthMail, countMail } = customer;

/** Opens a ticket through the public form; returns the stored row and the acknowledgement's status link. */
async function openByForm(over: Record<string, string> = {}) {
  const contact = over.contactEmail ?? freshContact("status");
  const { res, reference } = await customer.submitTicket(ticketForm({ contactEmail: contact, ...over }));
  expect(res.status).toBe(200);
  const ack = await nthMail(contact, /We received your request/);
  return { ticket: probe.ticketRow(reference!)!, contact, ack, statusLink: linkIn(ack, "/assisted-recovery/status/") };
}

/** Follows the status link as a browser does: the 303 and its cookie, then the clean page. */
async function land(statusLink: string, c: Client = client()) {
  const landing = await c.get(pathOf(statusLink));
  expect(landing.status).toBe(303);
  expect(landing.headers.get("location")).toBe("/assisted-recovery/status");
  const res = await c.get("/assisted-recovery/status");
  return { c, landing, status: res.status, html: await res.text() };
}

async function statusText(c: Client) {
  const res = await c.get("/assisted-recovery/status");
  expect(res.status).toBe(200);
  return readable(mainOf(await res.text()));
}

const replyMails = (address: string, reference: string) => mail.to(address).filter((m) => m.subject.includes("replied") && m.subject.includes(reference));

describe("the customer's status page", () => {
  test("the status link lands on a URL without the token; the page shows status, what they wrote, staff questions only; a reply reopens, is kept and notifies the assigned agent without its text; closed tickets take no replies", async () => {
    const { ticket, statusLink, ack } = await openByForm({ details: "I typed the wrong password DETAILS-789 too often." });
    const token = statusLink.split("/").pop()!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statusLink.startsWith(`${app.origin}/assisted-recovery/status/`)).toBe(true);
    // The same token confirms the contact; the status link is its own line in the e-mail.
    expect(linkIn(ack, "/assisted-recovery/confirm/").endsWith(token)).toBe(true);

    const { c, landing, status, html } = await land(statusLink);
    expect(landing.headers.getSetCookie().join(";")).toMatch(/HttpOnly/i);
    expect(status).toBe(200);
    expect(html).not.toContain(token);
    const first = readable(mainOf(html));
    expect(first).toContain(ticket.reference);
    expect(first).toContain("Status: Open");
    expect(first).toContain("DETAILS-789");
    expect(first).toMatch(/Opened\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(html).toContain('<label for="message">');
    // The access log names the landing without its token (TOK-08, LOG-02).
    expect(app.logs()).toContain("/assisted-recovery/status/[redacted]");
    expect(app.logs()).not.toContain(token);

    // Staff claim it (an internal note in the history), then ask a question.
    const claimed = await staff.act(agent.c, ticket.id, { intent: "claim" });
    expect(claimed.status).toBe(200);
    expect(probe.ticketById(ticket.id)!.assigned_to).toBe(agent.id);
    expect((await staff.act(agent.c, ticket.id, { action: "request_info", note: "What is the name of your first pet? QUESTION-123" })).status).toBe(200);
    expect(probe.ticketById(ticket.id)!.status).toBe("waiting_customer");
    const internal = probe.ticketEvents(ticket.id).filter((e) => e.action !== "request_info" && e.note);
    expect(internal.length).toBeGreaterThan(0);

    const asked = await statusText(c);
    expect(asked).toContain("Status: Waiting for your answer");
    expect(asked).toContain("QUESTION-123");
    for (const e of internal) expect(asked).not.toContain(e.note!);
    expect(asked).not.toContain(agent.id);

    // The reply: history, back to open, one notification to the agent without the text, audited without it.
    const supportBefore = mail.to(SUPPORT).length;
    const sent = await c.post("/assisted-recovery/status", { message: "Her name was Biscuit. REPLY-456" });
    expect(sent.status).toBe(200);
    const after = readable(mainOf(await sent.text()));
    expect(after).toContain("We've added your message");
    expect(after).toContain("REPLY-456");
    expect(after).toContain("Status: Open");
    const row = probe.ticketById(ticket.id)!;
    expect(row.status).toBe("open");
    expect(pick(probe.ticketEvents(ticket.id).filter((e) => e.action === "customer_reply"), "actor", "note", "from_status", "to_status")).toEqual([
      { actor: "customer", note: "Her name was Biscuit. REPLY-456", from_status: "waiting_customer", to_status: "open" },
    ]);
    await mail.waitFor(() => replyMails("agent@status.test", ticket.reference).length === 1);
    const note = replyMails("agent@status.test", ticket.reference)[0];
    expect(note.text).toContain(`${app.origin}/support/tickets/${ticket.id}`);
    expect(note.text).not.toContain("REPLY-456");
    expect(note.html).not.toContain("REPLY-456");
    const audit = probe.auditEvents({ event: "ticket_customer_reply", mentioning: ticket.reference });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain("REPLY-456");
    expect(mail.to(SUPPORT).slice(supportBefore).filter((m) => m.subject.includes("replied"))).toHaveLength(0);

    // The console shows the reply apart from the history, and that the customer has a status link.
    const view = await staff.viewTicket(agent.c, ticket.id);
    expect(view.status).toBe(200);
    const console_ = readable(mainOf(view.text));
    expect(console_).toContain("The customer's replies");
    expect(console_).toContain("The customer has a status page link");
    expect(view.text).toContain('data-testid="customer-reply"');
    expect(view.text).not.toContain(row.status_token_hash as string);

    // Closed: the page still shows the status, takes no reply, never shows the closing note.
    expect((await staff.act(agent.c, ticket.id, { action: "close", note: "Closing: INTERNAL-CLOSE-NOTE" })).status).toBe(200);
    const closed = await statusText(c);
    expect(closed).toContain("Status: Closed");
    expect(closed).not.toContain("INTERNAL-CLOSE-NOTE");
    expect(closed).toContain("can't take more messages");
    const refused = await c.post("/assisted-recovery/status", { message: "One more thing REPLY-789" });
    expect(refused.status).toBe(409);
    expect(readable(await refused.text())).toContain("can't take more messages");
    expect(probe.ticketEvents(ticket.id).filter((e) => e.action === "customer_reply")).toHaveLength(1);
  });

  test("an unassigned ticket's reply goes to SUPPORT_EMAIL; replies are 3–2000 characters and at most 10 a day per ticket; rejected tickets take none", async () => {
    const { ticket, statusLink } = await openByForm();
    const { c } = await land(statusLink);
    expect((await c.post("/assisted-recovery/status", { message: "no" })).status).toBe(400);
    const long = await c.post("/assisted-recovery/status", { message: "x".repeat(2001) });
    expect(long.status).toBe(400);
    expect(readable(await long.text())).toContain("at most 2000 characters");
    expect(probe.ticketEvents(ticket.id).filter((e) => e.action === "customer_reply")).toHaveLength(0);

    for (let i = 1; i <= 10; i++) expect((await c.post("/assisted-recovery/status", { message: `Reply number ${i}` })).status, `reply ${i}`).toBe(200);
    const eleventh = await c.post("/assisted-recovery/status", { message: "Reply number 11" });
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(readable(await eleventh.text())).toContain("the most we take");
    expect(probe.ticketEvents(ticket.id).filter((e) => e.action === "customer_reply")).toHaveLength(10);
    // Status "open" stayed open; each reply told support (nobody is assigned).
    expect(probe.ticketById(ticket.id)!.status).toBe("open");
    await mail.waitFor(() => replyMails(SUPPORT, ticket.reference).length === 10);

    // A day later the budget is back.
    await app.advanceClock(86_400_000 + 1000);
    agent = await staff.signIn(agent);
    const again = await land(statusLink);
    expect((await again.c.post("/assisted-recovery/status", { message: "Reply the next day" })).status).toBe(200);

    expect((await staff.act(agent.c, ticket.id, { action: "reject", note: "Could not verify" })).status).toBe(200);
    const rejected = await statusText(again.c);
    expect(rejected).toContain("Status: Closed: not approved");
    expect(rejected).not.toContain("Could not verify");
    expect((await again.c.post("/assisted-recovery/status", { message: "Please reconsider" })).status).toBe(409);
  });

  test("parallel replies cannot overshoot the daily budget: of 14 at once, exactly 10 are kept", async () => {
    const { ticket, statusLink } = await openByForm();
    const { c } = await land(statusLink);
    const answers = await Promise.all(Array.from({ length: 14 }, (_, i) => c.post("/assisted-recovery/status", { message: `Parallel reply ${i}` })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(probe.ticketEvents(ticket.id).filter((e) => e.action === "customer_reply")).toHaveLength(10);
  });

  test("bad tokens are a 404 page and spend the client's link-guessing budget (shared with other links); no cookie is a 403 page", async () => {
    const { statusLink } = await openByForm();
    const none = await client().get("/assisted-recovery/status");
    expect(none.status).toBe(403);
    expect(readable(await none.text())).toContain("open the link in the email");
    // A forged cookie is no better than none.
    const forged = client();
    forged.cookies.set("ticket_status", `aaaaaaaaaaaaaaaaaaaaaaaa.${Date.now() + 60_000}.${"0".repeat(64)}`);
    expect((await forged.get("/assisted-recovery/status")).status).toBe(403);
    expect((await forged.post("/assisted-recovery/status", { message: "Let me in please" })).status).toBe(403);

    const ip = "10.91.250.9";
    const guesser = client(ip);
    const first = await guesser.get(`/assisted-recovery/status/${"S".repeat(43)}`);
    expect(first.status).toBe(404);
    expect(readable(await first.text())).toContain("This link isn't valid");
    expect(first.headers.getSetCookie()).toEqual([]);
    expect((await guesser.get("/assisted-recovery/status/short")).status).toBe(404);
    for (let i = 2; i < LINK_BUDGET - 1; i++) expect((await guesser.get(`/assisted-recovery/status/${String(i).padStart(43, "T")}`)).status, `guess ${i + 1}`).toBe(404);
    expect((await guesser.post(`/assisted-recovery/confirm/${"C".repeat(43)}`, {})).status).toBe(404);
    const throttled = await guesser.get(`/assisted-recovery/status/${"U".repeat(43)}`);
    expect(throttled.status).toBe(429);
    expect(readable(await throttled.text())).toContain("Too many attempts");
    // Even the real link is not looked at from that client now; from another it works.
    expect((await client(ip).get(pathOf(statusLink))).status).toBe(429);
    expect((await land(statusLink)).status).toBe(200);
  });
});

describe("phone tickets", () => {
  test("an agent opens a ticket for a caller with the same checklist: channel phone, opened by staff, audited, acknowledgement with confirm and status links sent", async () => {
    const form = await staff.viewTicket(agent.c, "new");
    expect(form.status).toBe(200);
    for (const label of ["Full name", "Email where we can reach you", "What happened?", "Roughly when did you last sign in?", "When did you open the account?"]) {
      expect(readable(form.text)).toContain(label);
    }
    expect(form.text).toContain('href="/support/tickets/new"');
    // The customer's pages are not the console's: no session, no page.
    expect((await client().get("/support/tickets/new")).status).toBe(302);

    const contact = freshContact("phone");
    const bad = await agent.c.post("/support/tickets/new", { ...ticketForm({ contactEmail: "not-an-email" }), website: "" });
    expect(bad.status).toBe(400);
    expect(readable(await bad.text())).toContain("Enter an email address like name@example.com");

    const before = countMail(contact, /We received your request/);
    const res = await agent.c.post("/support/tickets/new", { ...ticketForm({ contactEmail: contact, fullName: "Caller Phone", details: "Called about a lock." }) });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/support\/tickets\/[a-z2-7]{24}$/);
    const ticket = probe.ticketById(location.split("/").pop()!)!;
    expect(ticket).toMatchObject({ channel: "phone", source: "form", status: "open", contact_email: contact, full_name: "Caller Phone" });
    expect(pick(probe.ticketEvents(ticket.id), "actor", "action")).toEqual([{ actor: `staff:${agent.id}`, action: "opened" }]);
    const audit = probe.auditEvents({ event: "ticket_opened", mentioning: ticket.reference });
    expect(pick(audit, "actor_type", "actor_id")).toEqual([{ actor_type: "staff", actor_id: agent.id }]);
    expect(JSON.parse(audit[0].details)).toMatchObject({ channel: "phone" });

    const ack = await nthMail(contact, /We received your request/, before);
    expect(ack.subject).toContain(ticket.reference);
    expect(linkIn(ack, "/assisted-recovery/confirm/")).toMatch(/[A-Za-z0-9_-]{43}$/);
    const statusLink = linkIn(ack, "/assisted-recovery/status/");
    const landed = await land(statusLink);
    expect(readable(mainOf(landed.html))).toContain(ticket.reference);

    const page = await staff.viewTicket(agent.c, ticket.id);
    expect(readable(mainOf(page.text))).toContain("by phone");
  });

  test("the status link keeps working while the ticket is open and for 30 days after it is closed; then it is a 410 page", async () => {
    const { ticket, statusLink } = await openByForm();
    expect((await staff.act(agent.c, ticket.id, { action: "close", note: "Solved on the phone." })).status).toBe(200);
    await app.advanceClock(29 * 86_400_000);
    expect((await land(statusLink)).status).toBe(200);
    await app.advanceClock(2 * 86_400_000);
    const late = await client().get(pathOf(statusLink));
    expect(late.status).toBe(410);
    expect(late.headers.get("set-cookie")).toBeNull();
    expect(readable(mainOf(await late.text()))).toContain("closed more than 30 days ago");
    await app.resetClock();
  });
});
