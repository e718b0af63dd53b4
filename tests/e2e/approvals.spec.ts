import { test, expect, type Page } from "@playwright/test";
import { addAccounts } from "../helpers/app";
import { Client } from "../helpers/http";
import { probes } from "../helpers/probes";
import { checkPage, ownPortal, staffBrowser, uniqueName } from "./fixtures";

/**
 * Four eyes and console locks in a real browser with real SMTP (issue 14): an agent asks to remove a
 * customer's second factors, cannot approve it themselves (no button; a forged post gets 403), a
 * supervisor approves it from the approvals queue; a supervisor locks the account from the account
 * view and the customer's real inbox gets the lock e-mail. The account view, the approvals queue
 * and the public new-contact page are checked with axe and at 360 px.
 */

test.describe.configure({ mode: "serial" });

const AGENT = `fe-agent.${process.pid}@staff.test`;
const SUPERVISOR = `fe-sup.${process.pid}@staff.test`;
const PASSWORD = "staff pass words here ok";
const customer = uniqueName("fe");
const emailOf = (u: string) => `${u}@example.test`;

const { app, mail } = ownPortal({
  env: { LIMIT_TICKETS_PER_IP_PER_HOUR: "100", LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100", SESSION_IDLE_MINUTES: "1440" },
  setup: async () => {
    const results = await Promise.all([
      addAccounts(app, [{ username: customer }]),
      app.cli(["staff", "add", "--email", AGENT, "--name", "Agnes Agent", "--role", "agent", "--password-stdin"], PASSWORD),
      app.cli(["staff", "add", "--email", SUPERVISOR, "--name", "Sam Supervisor", "--role", "supervisor", "--password-stdin"], PASSWORD),
    ]);
    for (const r of results.flat()) expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});
const probe = probes(() => app);
const url = (p: string) => app.origin + p;

const staff = staffBrowser(() => app.origin, PASSWORD);
async function enrol(page: Page, email: string) {
  await app.advanceClock(30_000);
  await staff.enrol(page, email);
}

test("an agent asks to remove second factors, cannot approve it; a supervisor approves from the queue; a console lock e-mails the customer", async ({ browser }) => {
  const uid = probe.userId(customer);
  probe.insertPasskey({ id: `pk-${customer}`, userId: uid, name: "Phone", createdAt: Date.now() });
  const form = await new Client(app.origin).post("/assisted-recovery", {
    website: "",
    fullName: "Fay Eyes",
    accountHint: customer,
    contactEmail: emailOf(customer),
    contactPhone: "",
    category: "lost_factor",
    details: "I lost my phone with the passkey.",
    lastSignInClaim: "last week",
    openedClaim: "2020",
    consent: "yes",
  });
  expect(form.status).toBe(200);
  const reference = (await form.text()).match(/AR-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/)![0];
  const ticket = probe.ticketRow(reference)!;

  const agentCtx = await browser.newContext();
  const supCtx = await browser.newContext();
  const agent = await agentCtx.newPage();
  const sup = await supCtx.newPage();
  await enrol(agent, AGENT);
  await enrol(sup, SUPERVISOR);

  // The agent asks.
  await agent.goto(url(`/support/tickets/${ticket.id}`));
  await agent.getByLabel(/Remove the account's passkeys/).check();
  await agent.getByLabel(/^Note \(required: what you checked/).fill("Customer showed their ID on a video call.");
  await agent.getByRole("button", { name: "Record action" }).click();
  await expect(agent.getByText("waiting for a supervisor's approval")).toBeVisible();
  expect(probe.passkeysOf(uid)).toHaveLength(1);
  // No approve button for the requester; a forged approval is refused.
  await expect(agent.getByRole("button", { name: "Cancel my request" })).toBeVisible();
  await expect(agent.getByRole("button", { name: "Approve and carry out" })).toHaveCount(0);
  const approvalId = await agent.locator('input[name="approvalId"]').first().getAttribute("value");
  const forged = await agent.request.post(url(`/support/tickets/${ticket.id}`), {
    form: { intent: "approval_decide", approvalId: approvalId!, decision: "approve", note: "I approve my own request" },
    headers: { origin: app.origin },
  });
  expect(forged.status()).toBe(403);
  expect(probe.passkeysOf(uid)).toHaveLength(1);
  // An agent has no approvals queue in the console's navigation; a supervisor does.
  await agent.goto(url("/support"));
  await expect(agent.getByRole("navigation", { name: "Support console" })).toBeVisible();
  await expect(agent.getByRole("link", { name: "Approvals" })).toHaveCount(0);

  // The supervisor approves from the queue.
  await sup.goto(url("/support"));
  await sup.getByRole("navigation", { name: "Support console" }).getByRole("link", { name: "Approvals" }).click();
  await expect(sup).toHaveURL(url("/support/approvals"));
  await expect(sup.getByRole("heading", { level: 1, name: "Approvals" })).toBeVisible();
  await checkPage(sup);
  await sup.getByRole("link", { name: reference }).click();
  await expect(sup).toHaveURL(url(`/support/tickets/${ticket.id}`));
  await sup.getByLabel("Your note (required: what you checked)").fill("Watched the video call recording; ID matches.");
  await sup.getByRole("button", { name: "Approve and carry out" }).click();
  await expect(sup.getByText("Approved: the account's second factors were removed.")).toBeVisible();
  await expect(sup.getByRole("heading", { name: "Past requests" })).toBeVisible();
  await checkPage(sup);
  expect(probe.passkeysOf(uid)).toHaveLength(0);

  // The account view: lock with a note; the customer's inbox gets the lock e-mail.
  await sup.getByRole("link", { name: "Open the account view" }).click();
  await expect(sup.getByRole("heading", { level: 1, name: `Account ${customer}` })).toBeVisible();
  await checkPage(sup);
  await sup.getByLabel("Note (required: why you lock it)").fill("Customer asked us to freeze the account while travelling.");
  await sup.getByRole("button", { name: "Lock this account" }).click();
  await expect(sup.getByText("The account is locked.")).toBeVisible();
  await expect(sup.getByText("Customer asked us to freeze the account while travelling.")).toBeVisible();
  await checkPage(sup);
  const lockMail = await mail.waitFor((m) => m.to.includes(emailOf(customer)) && /was locked/.test(m.subject));
  expect(lockMail.text).toContain(customer);
  expect(probe.openLocksOf(uid)).toMatchObject([{ reason: "staff", locked_until: null }]);

  // The customer's page for proving a new contact.
  const anon = await (await browser.newContext()).newPage();
  await anon.goto(url("/assisted-recovery/new-contact"));
  await expect(anon.getByLabel("Ticket reference")).toBeVisible();
  await expect(anon.getByLabel("Code")).toHaveAttribute("autocomplete", "one-time-code");
  await checkPage(anon);
  await anon.getByLabel("Ticket reference").fill(reference);
  await anon.getByLabel("Code").fill("123456");
  await anon.getByRole("button", { name: "Confirm" }).click();
  await expect(anon.getByText("don't match a waiting change")).toBeVisible();
  await checkPage(anon);
});
