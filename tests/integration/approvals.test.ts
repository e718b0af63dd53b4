import { describe, expect, test } from "vitest";
import { mainOf, pathOf, readable, reportLinkIn } from "../helpers/customer";
import { usePortal } from "../helpers/portal";
import { staffDriver, type StaffLogin } from "../helpers/staff";

/**
 * Four eyes, a lost contact's replacement and console locks (issue 14). Black-box over real HTTP
 * against the real portal (SMTP sink for mail): with FOUR_EYES on (the default), an agent's factor
 * removal, compromise-lock lift and contact change wait for a supervisor or admin who did not ask;
 * the decision is taken once (two approvers at once: one wins, the action runs once). A new
 * contact is saved only after its code comes back on /assisted-recovery/new-contact, and both old
 * and new contacts are told. A second portal with FOUR_EYES=none acts at once.
 */

const STAFF_PASSWORD = "staff pass words here ok";
const PASSWORD = "granite willow ferry compass";
const USERS = ["fefactors", "fedecline", "ferace", "fecompromise", "fecontact", "felock"];
const OLD_PHONE = "+12025550171";
const NEW_PHONE = "+12025550199";
const email = (u: string) => `${u}@example.test`;

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let agent: StaffLogin;
let agent2: StaffLogin;
let sup: StaffLogin;
let sup2: StaffLogin;

const { app, probe, customer } = usePortal({
  clients: { ip: "10.141" },
  env: {
    TRUST_PROXY: "loopback",
    SESSION_IDLE_MINUTES: "1440",
    SESSION_ABSOLUTE_HOURS: "24",
    LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "100",
    LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "100",
    SMS_ALLOWED_COUNTRIES: "US",
  },
  sms: { secret: "sms-webhook-secret-for-approvals-0123456789" },
  accounts: [...USERS.map((username) => ({ username })), { username: "fephone", phone: OLD_PHONE }],
  setup: async () => {
    await staff.addAs("agent", "agent@fe.test", "agent2@fe.test");
    await staff.addAs("supervisor", "sup@fe.test", "sup2@fe.test");
    [agent, agent2, sup, sup2] = await Promise.all(["agent@fe.test", "agent2@fe.test", "sup@fe.test", "sup2@fe.test"].map((e) => staff.enrol(e)));
  },
});
const { client, ticketForm, freshContact, nthMail, countMail, nthSms } = customer;

const userId = (u: string) => probe.userId(u);

/** A ticket matched to the account `username`. */
async function ticketFor(username: string, category = "lost_factor") {
  const { res, reference } = await customer.submitTicket(ticketForm({ accountHint: username, contactEmail: freshContact("fe"), category }));
  expect(res.status).toBe(200);
  const t = probe.ticketRow(reference!)!;
  expect(t.matched_user_id).toBe(userId(username));
  return t;
}

function givePasskey(username: string) {
  probe.insertPasskey({ id: `pk-${username}-${Date.now()}`, userId: userId(username), name: "Phone", createdAt: Date.now() });
}

/** The pending request id on a ticket, read from its page (what a supervisor's form posts). */
async function pendingIdOn(s: StaffLogin, ticketId: string): Promise<string> {
  const view = await staff.viewTicket(s.c, ticketId);
  const id = view.text.match(/name="approvalId" value="([a-z2-7]{24})"/)?.[1];
  expect(id, "a pending request on the page").toBeTruthy();
  return id!;
}

const decide = (s: StaffLogin, ticketId: string, approvalId: string, decision: string, note = "Checked the ID document on video.") =>
  staff.act(s.c, ticketId, { intent: "approval_decide", approvalId, decision, note });

const audits = (event: string) => probe.auditEvents({ event }).map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));

describe("four eyes: removing second factors", () => {
  test("an agent's request waits; the same agent and another agent cannot approve (403, audited); a supervisor approves and the factors are gone", async () => {
    givePasskey("fefactors");
    const t = await ticketFor("fefactors");
    const asked = await staff.act(agent.c, t.id, { action: "remove_factors", note: "Customer showed ID on video." });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain("waiting for a supervisor");
    expect(probe.passkeysOf(userId("fefactors"))).toHaveLength(1);
    // Supervisors hear of it at SUPPORT_EMAIL, with a link to the ticket and no customer data.
    const notice = await nthMail("support@localhost", new RegExp(`\\[${t.reference}\\] Approval needed`), 0);
    expect(notice.text).toContain(`/support/tickets/${t.id}`);
    expect(notice.text).not.toContain(email("fefactors"));
    // A second request for the same action is refused while one waits.
    expect((await staff.act(agent2.c, t.id, { action: "remove_factors", note: "again please" })).status).toBe(409);

    // The queue shows it to supervisors; agents get a 403 page.
    const queue = await sup.c.get("/support/approvals");
    expect(queue.status).toBe(200);
    expect(await queue.text()).toContain(t.reference);
    expect((await agent.c.get("/support/approvals")).status).toBe(403);

    // The requester sees no approve form, only "cancel"; a supervisor sees the form.
    const own = await staff.viewTicket(agent.c, t.id);
    expect(own.text).toContain("Cancel my request");
    expect(own.text).not.toContain("Approve and carry out");
    const id = await pendingIdOn(sup, t.id);

    const self = await decide(agent, t.id, id, "approve");
    expect(self.status).toBe(403);
    expect(self.text).toContain("your own request");
    const other = await decide(agent2, t.id, id, "approve");
    expect(other.status).toBe(403);
    expect(other.text).toContain("Only a supervisor or an admin");
    expect(probe.passkeysOf(userId("fefactors"))).toHaveLength(1);
    // Asking for approval answers nobody yet: the SLA clock still runs.
    expect(probe.ticketRow(t.reference)!.first_response_at).toBeNull();
    const refused = audits("approval_refused").filter((r) => r.details.approval === id);
    expect(refused.map((r) => [r.actor_id, r.details.why])).toEqual([
      [agent.id, "own-request"],
      [agent2.id, "not-supervisor"],
    ]);

    const ok = await decide(sup, t.id, id, "approve");
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("second factors were removed");
    expect(probe.passkeysOf(userId("fefactors"))).toHaveLength(0);
    expect(audits("factors_removed").filter((r) => r.user_id === userId("fefactors"))).toHaveLength(1);
    const events = probe.ticketEvents(t.id).map((e) => [e.actor, e.action]);
    expect(events).toContainEqual([`staff:${agent.id}`, "remove_factors_requested"]);
    expect(events).toContainEqual([`staff:${sup.id}`, "remove_factors_approved"]);
    // Carrying it out is the first response: it stops the SLA clock (no escalation after this).
    expect(probe.ticketRow(t.reference)!.first_response_at).toBe(probe.ticketEvents(t.id).find((e) => e.action === "remove_factors_approved")!.at);
    expect(audits("approval_requested").filter((r) => r.details.approval === id)).toHaveLength(1);
    expect(audits("approval_approved").filter((r) => r.details.approval === id).map((r) => r.actor_id)).toEqual([sup.id]);
    // Decided once: a second approval is refused.
    expect((await decide(sup2, t.id, id, "approve")).status).toBe(409);
  });

  test("a supervisor declines (factors stay); the requester cancels; a cancelled request cannot be approved", async () => {
    givePasskey("fedecline");
    const t = await ticketFor("fedecline");
    expect((await staff.act(agent.c, t.id, { action: "remove_factors", note: "Customer says they lost the phone." })).status).toBe(200);
    const first = await pendingIdOn(sup, t.id);
    const declined = await decide(sup, t.id, first, "decline", "The ID did not match the account.");
    expect(declined.status).toBe(200);
    expect(probe.passkeysOf(userId("fedecline"))).toHaveLength(1);
    expect(audits("approval_declined").filter((r) => r.details.approval === first)).toHaveLength(1);

    expect((await staff.act(agent.c, t.id, { action: "remove_factors", note: "Second try with a new document." })).status).toBe(200);
    const second = await pendingIdOn(sup, t.id);
    expect((await decide(agent2, t.id, second, "cancel")).status).toBe(403);
    expect((await decide(agent, t.id, second, "cancel", "")).status).toBe(200);
    expect(audits("approval_cancelled").filter((r) => r.details.approval === second)).toHaveLength(1);
    expect((await decide(sup, t.id, second, "approve")).status).toBe(409);
    expect(probe.passkeysOf(userId("fedecline"))).toHaveLength(1);
    // A request on a ticket closed meanwhile is not carried out.
    expect((await staff.act(agent.c, t.id, { action: "remove_factors", note: "Third try." })).status).toBe(200);
    const third = await pendingIdOn(sup, t.id);
    expect((await staff.act(agent2.c, t.id, { action: "close", note: "Customer stopped answering." })).status).toBe(200);
    const late = await decide(sup, t.id, third, "approve");
    expect(late.status).toBe(409);
    expect(late.text).toContain("already finished");
    expect(probe.passkeysOf(userId("fedecline"))).toHaveLength(1);
    expect((await decide(sup, t.id, third, "decline", "Ticket closed.")).status).toBe(200);
    const actions = probe.ticketEvents(t.id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["remove_factors_declined", "remove_factors_cancelled"]));
  });

  test("two supervisors approving at once: one wins, the factors are removed once", async () => {
    givePasskey("ferace");
    const t = await ticketFor("ferace");
    expect((await staff.act(agent.c, t.id, { action: "remove_factors", note: "Verified on a call." })).status).toBe(200);
    const id = await pendingIdOn(sup, t.id);
    const answers = await Promise.all([decide(sup, t.id, id, "approve"), decide(sup2, t.id, id, "approve")]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(probe.passkeysOf(userId("ferace"))).toHaveLength(0);
    expect(audits("factors_removed").filter((r) => r.user_id === userId("ferace"))).toHaveLength(1);
    expect(audits("approval_approved").filter((r) => r.details.approval === id)).toHaveLength(1);
  });
});

describe("four eyes: lifting a compromise lock", () => {
  test("the ticket's unlock leaves a reported-compromise lock in force; its lift needs a supervisor's approval", async () => {
    const changed = await customer.resetPassword("fecompromise", email("fecompromise"), PASSWORD);
    expect((await client().post(pathOf(reportLinkIn(changed.text)), {})).status).toBe(200);
    const uid = userId("fecompromise");
    expect(probe.openLocksOf(uid).map((l) => l.reason)).toEqual(["reported_compromise"]);
    const [t] = probe.ticketsOf(uid, "report");

    const unlock = await staff.act(agent.c, t.id, { action: "unlock", note: "Owner verified on a call." });
    expect(unlock.status).toBe(200);
    expect(unlock.text).toContain("reported-compromise lock stays");
    expect(probe.openLocksOf(uid)).toHaveLength(1);

    // From the account view: without the ticket it cannot be asked; opened from the ticket it becomes a request there.
    const [lock] = probe.openLocksOf(uid);
    const bare = await agent.c.post(`/support/accounts/${uid}`, { intent: "lift", lockId: lock.id, note: "Owner verified on a call." });
    expect(bare.status).toBe(409);
    const viewed = await agent.c.get(`/support/accounts/${uid}?ticket=${t.id}`);
    expect(await viewed.text()).toContain("Request the lift (a supervisor approves)");
    const asked = await agent.c.post(`/support/accounts/${uid}`, { intent: "lift", lockId: lock.id, ticket: t.id, note: "Owner verified on a call." });
    expect(asked.status).toBe(200);
    expect(probe.openLocksOf(uid)).toHaveLength(1);
    // The same lift asked again from the ticket page waits on the first request.
    const again = await staff.act(agent2.c, t.id, { intent: "approval_request", approvalAction: "lift_compromise_lock", note: "Owner verified on a call." });
    expect(again.status).toBe(409);
    const id = await pendingIdOn(sup, t.id);
    expect((await decide(agent, t.id, id, "approve")).status).toBe(403);
    const unlockedBefore = countMail(email("fecompromise"), /was unlocked/);
    const ok = await decide(sup, t.id, id, "approve");
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("reported-compromise lock was lifted");
    expect(probe.openLocksOf(uid)).toHaveLength(0);
    expect(probe.latestLockOf(uid)).toMatchObject({ reason: "reported_compromise", end_reason: "staff", ended_by: `staff:${sup.id}` });
    await nthMail(email("fecompromise"), /was unlocked/, unlockedBefore);
  });
});

describe("replacing a lost contact", () => {
  test("after approval a code goes to the new address; recovery still goes to the old one; wrong codes are capped; the right code saves it and both addresses are told", async () => {
    const uid = userId("fecontact");
    const t = await ticketFor("fecontact", "lost_email");
    const fresh = "fecontact.new@elsewhere.test";
    const bad = await staff.act(agent.c, t.id, { intent: "contact_change", kind: "email", value: "not an address", note: "Checked ID." });
    expect(bad.status).toBe(400);
    const ask = () => staff.act(agent.c, t.id, { intent: "contact_change", kind: "email", value: fresh, note: "Checked ID on video; old mailbox is gone." });
    expect((await ask()).status).toBe(200);
    expect(probe.outboxOf(fresh)).toHaveLength(0);
    expect((await decide(agent, t.id, await pendingIdOn(sup, t.id), "approve")).status).toBe(403);
    expect((await decide(sup, t.id, await pendingIdOn(sup, t.id), "approve")).status).toBe(200);
    const codeMail = await nthMail(fresh, /Confirm your new/, 0);
    expect(codeMail.text).toContain(t.reference);
    const code = codeMail.text.match(/Your code: (\d{6})/)![1];
    expect(probe.userRow("fecontact")!.email).toBe(email("fecontact"));
    expect(probe.contactChangesOf(uid)).toMatchObject([{ kind: "email", new_value: fresh, status: "pending", ticket_id: t.id }]);

    // Before the proof, recovery still goes to the old address only.
    expect((await client().post("/forgot-password", { identifier: "fecontact" })).status).toBe(303);
    await nthMail(email("fecontact"), /^Reset your/, 0);
    expect(customer.countMail(fresh, /^Reset your/)).toBe(0);

    // A wrong reference and a wrong code get the same answer; five wrong codes end the change.
    const prove = (reference: string, typed: string) => client().post("/assisted-recovery/new-contact", { reference, code: typed });
    const wrongRef = await prove("AR-2222-2222", code);
    const wrongRefText = mainOf(await wrongRef.text());
    expect(wrongRef.status).toBe(400);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) {
      const r = await prove(t.reference, wrong);
      expect(r.status).toBe(400);
      expect(mainOf(await r.text())).toBe(wrongRefText);
    }
    expect((await prove(t.reference, code)).status).toBe(400);
    expect(probe.userRow("fecontact")!.email).toBe(email("fecontact"));
    expect(probe.contactChangesOf(uid)[0]).toMatchObject({ attempts: 5, status: "cancelled" });

    // Asked and approved again: a new code; the right one saves the address.
    expect((await ask()).status).toBe(200);
    expect((await decide(sup2, t.id, await pendingIdOn(sup2, t.id), "approve")).status).toBe(200);
    const second = await nthMail(fresh, /Confirm your new/, 1);
    const code2 = second.text.match(/Your code: (\d{6})/)![1];
    const oldNotices = countMail(email("fecontact"), /was changed/);
    const done = await prove(t.reference.toLowerCase(), code2);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Your new contact is saved");
    expect(probe.userRow("fecontact")).toMatchObject({ email: fresh, email_verified: 1 });
    await nthMail(email("fecontact"), /was changed/, oldNotices);
    const toldNew = await nthMail(fresh, /was changed/, 0);
    expect(toldNew.text).toContain("from our support team.");
    const changed = audits("email_changed").filter((r) => r.user_id === uid);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ actor_type: "staff", actor_id: sup2.id });
    expect(changed[0].details).toMatchObject({ via: "assisted", ticket: t.reference });
    expect(probe.ticketEvents(t.id).map((e) => e.action)).toEqual(expect.arrayContaining(["change_contact_requested", "change_contact_approved", "contact_code_sent", "email_changed"]));
    // Spent: the same code again is refused.
    expect((await prove(t.reference, code2)).status).toBe(400);
  });
});

describe("replacing a lost phone", () => {
  test("the new number is checked like the customer's own change (format, allowed country); after approval its code comes by SMS; the old and new phones and the e-mail are told", async () => {
    const uid = userId("fephone");
    const t = await ticketFor("fephone", "lost_factor");
    const ask = (value: string) => staff.act(agent.c, t.id, { intent: "contact_change", kind: "phone", value, note: "Checked ID on video; phone was stolen." });
    const invalid = await ask("12");
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain("valid phone number");
    const abroad = await ask("+44 7400 123456");
    expect(abroad.status).toBe(400);
    expect(abroad.text).toContain("that number");
    expect((await ask(OLD_PHONE)).status).toBe(400);
    expect((await ask("(202) 555-0199")).status).toBe(200);
    expect((await decide(sup, t.id, await pendingIdOn(sup, t.id), "approve")).status).toBe(200);
    const text = await nthSms(NEW_PHONE, 0);
    expect(text.body).toContain(t.reference);
    const code = text.body.match(/code (\d{6})/)![1];
    expect(probe.userRow("fephone")!.phone).toBe(OLD_PHONE);

    const mailBefore = countMail(email("fephone"), /was changed/);
    const done = await client().post("/assisted-recovery/new-contact", { reference: t.reference, code });
    expect(done.status).toBe(200);
    expect(probe.userRow("fephone")).toMatchObject({ phone: NEW_PHONE, phone_verified: 1 });
    const oldTold = await nthSms(OLD_PHONE, 0);
    expect(oldTold.body).toContain("was changed");
    const newTold = await nthSms(NEW_PHONE, 1);
    expect(newTold.body).toContain("was changed");
    await nthMail(email("fephone"), /was changed/, mailBefore);
    expect(audits("phone_changed").filter((r) => r.user_id === uid)).toMatchObject([{ actor_type: "staff", actor_id: sup.id }]);
  });
});

describe("console lock and lift", () => {
  test("the account view lists lock records; a lock from the console e-mails the customer; a lift with a note ends it", async () => {
    const uid = userId("felock");
    const view = await agent.c.get(`/support/accounts/${uid}`);
    expect(view.status).toBe(200);
    expect(await view.text()).toContain("Lock this account");
    expect(audits("account_viewed").filter((r) => r.user_id === uid && r.actor_id === agent.id)).toHaveLength(1);

    const noNote = await agent.c.post(`/support/accounts/${uid}`, { intent: "lock", note: " " });
    expect(noNote.status).toBe(400);
    expect(probe.locksOf(uid)).toHaveLength(0);

    const locked = await agent.c.post(`/support/accounts/${uid}`, { intent: "lock", note: "Customer asked us to freeze it." });
    expect(locked.status).toBe(200);
    const [lock] = probe.openLocksOf(uid);
    expect(lock).toMatchObject({ reason: "staff", created_by: `staff:${agent.id}`, locked_until: null });
    const notice = await nthMail(email("felock"), /was locked/, 0);
    expect(notice.text).toContain("felock");
    expect(audits("account_locked").filter((r) => r.user_id === uid)).toMatchObject([{ actor_type: "staff", actor_id: agent.id }]);
    const listed = readable(mainOf(await (await agent.c.get(`/support/accounts/${uid}`)).text()));
    expect(listed).toContain("Customer asked us to freeze it.");
    expect(listed).toContain(`locked by staff:${agent.id}`);

    const lift = await agent.c.post(`/support/accounts/${uid}`, { intent: "lift", lockId: lock.id, note: "Customer called back from the number on file." });
    expect(lift.status).toBe(200);
    expect(probe.openLocksOf(uid)).toHaveLength(0);
    expect(probe.latestLockOf(uid)).toMatchObject({ end_reason: "staff", ended_by: `staff:${agent.id}` });
    await nthMail(email("felock"), /was unlocked/, 0);
    const unlocked = audits("account_unlocked").filter((r) => r.user_id === uid);
    expect(unlocked).toHaveLength(1);
    expect(unlocked[0].details).toMatchObject({ via: "console", lock_id: lock.id, note: "Customer called back from the number on file." });
    expect((await agent.c.post(`/support/accounts/${uid}`, { intent: "lift", lockId: lock.id, note: "again" })).status).toBe(409);
  });
});

// ---- FOUR_EYES=none ---------------------------------------------------------------------------

const plainStaff = staffDriver(() => plain.app, { client: () => plain.customer.client(), password: STAFF_PASSWORD });
let plainAgent: StaffLogin;
const plain = usePortal({
  clients: { ip: "10.142" },
  env: { TRUST_PROXY: "loopback", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24", FOUR_EYES: "none" },
  accounts: [{ username: "fenone" }],
  setup: async () => {
    await plainStaff.addAs("agent", "agent@none.test");
    plainAgent = await plainStaff.enrol("agent@none.test");
  },
});

describe("FOUR_EYES=none", () => {
  test("an agent's factor removal runs at once, with no request", async () => {
    const uid = plain.probe.userId("fenone");
    plain.probe.insertPasskey({ id: "pk-fenone", userId: uid, name: "Phone", createdAt: Date.now() });
    const { res, reference } = await plain.customer.submitTicket(plain.customer.ticketForm({ accountHint: "fenone", category: "lost_factor" }));
    expect(res.status).toBe(200);
    const t = plain.probe.ticketRow(reference!)!;
    const r = await plainStaff.act(plainAgent.c, t.id, { action: "remove_factors", note: "Checked identity on a video call." });
    expect(r.status).toBe(200);
    expect(r.text).toContain("second factors were removed");
    expect(plain.probe.passkeysOf(uid)).toHaveLength(0);
    expect(plain.probe.auditEvents({ event: "approval_requested" })).toHaveLength(0);
  });
});
