import { test, expect, type Page } from "@playwright/test";
import { checkPage, ownPortal, staffBrowser } from "./fixtures";

/**
 * Tiers and SLA escalation in a real browser with real SMTP (issue 14): a customer's ticket passes
 * its SLA (the portal clock is moved) without a first response; the sweep escalates it, exactly
 * one escalation e-mail reaches ESCALATION_EMAIL; the list shows it in tier 2, breached and
 * escalated; an agent claims it from the ticket page. The list and ticket pages are checked with
 * axe and at 360 px wide. Its own portal: it moves the clock.
 */

test.describe.configure({ mode: "serial" });

const AGENT = `queue.${process.pid}@staff.test`;
const ESCALATION = `escalations.${process.pid}@queue.test`;
const PASSWORD = "staff pass words here ok";
const REF_RE = /^AR-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

const { app, mail } = ownPortal({
  env: {
    ESCALATION_EMAIL: ESCALATION,
    ESCALATION_SWEEP_SECONDS: "1",
    TICKET_SLA_NORMAL_HOURS: "2",
    SESSION_IDLE_MINUTES: "1440",
    LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100",
  },
  setup: async () => {
    const r = await app.cli(["staff", "add", "--email", AGENT, "--name", "Quinn Queue", "--role", "agent", "--password-stdin"], PASSWORD);
    expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});

const url = (p: string) => app.origin + p;

const staff = staffBrowser(() => app.origin, PASSWORD);
const enrol = (page: Page) => staff.enrol(page, AGENT);

async function sendTicket(page: Page, contactEmail: string): Promise<string> {
  await page.goto(url("/assisted-recovery"));
  await page.getByLabel("Full name").fill("Grace Hopper");
  await page.getByLabel("Email where we can reach you").fill(contactEmail);
  await page.getByRole("group", { name: "What happened?" }).getByLabel("My account is locked").check();
  await page.getByLabel("Tell us more").fill("Locked out after a trip.");
  await page.getByLabel("Roughly when did you last sign in?").fill("last week");
  await page.getByLabel("When did you open the account?").fill("2019");
  await page.getByLabel("You may contact me at the address and phone above about this request.").check();
  await page.getByRole("button", { name: "Send to support" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "We've got your request" })).toBeVisible();
  const reference = (await page.getByRole("main").locator("strong").first().textContent()) ?? "";
  expect(reference).toMatch(REF_RE);
  return reference;
}

test("a ticket past its SLA is escalated once with one e-mail, shows as tier 2 and breached, and is claimed from its page", async ({ page, browser }) => {
  const customer = await browser.newPage();
  const reference = await sendTicket(customer, `grace.${process.pid}@contact.test`);
  await customer.close();

  await enrol(page);
  await page.goto(url("/support"));
  const row = page.getByRole("listitem").filter({ hasText: reference });
  await expect(row).toContainText("tier 1");
  await expect(row).toContainText("unassigned");
  await expect(row).toContainText("left");
  await checkPage(page);

  // Three hours on: the 2-hour SLA has passed without a first response.
  await app.advanceClock(3 * 3_600_000);
  const escalation = await mail.waitFor((m) => m.to.includes(ESCALATION) && m.subject.includes(reference), 20_000);
  expect(escalation.subject).toBe(`[${reference}] Escalated to tier 2: My account is locked`);
  expect(escalation.text).toContain("no first response within the 2-hour SLA");
  // More sweeps run every second; still one e-mail.
  await page.waitForTimeout(3000);
  expect(mail.to(ESCALATION).filter((m) => m.subject.includes(reference))).toHaveLength(1);

  await page.goto(url("/support"));
  await page.getByLabel("Tier").selectOption("2");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/tier=2/);
  const escalated = page.getByRole("listitem").filter({ hasText: reference });
  await expect(escalated).toContainText("tier 2");
  await expect(escalated).toContainText("escalated");
  await expect(escalated).toContainText("SLA breached");
  await expect(escalated).toContainText("high");
  await checkPage(page);

  // The search box finds it by reference, in lower case.
  await page.getByLabel(/^Search/).fill(reference.toLowerCase());
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("link", { name: reference, exact: true })).toBeVisible();

  await page.getByRole("link", { name: reference, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(reference);
  const queue = page.getByRole("region", { name: "Queue and SLA" });
  await expect(queue).toContainText("Tier 2");
  await expect(queue).toContainText(/SLA breached: breached by/);
  await expect(queue).toContainText("nobody (unassigned)");
  await checkPage(page);
  await page.getByRole("button", { name: "Claim (assign to me)" }).click();
  await expect(page.getByText("You have claimed this ticket.")).toBeVisible();
  await expect(queue).toContainText("Quinn Queue (you)");
  await checkPage(page);

  await page.goto(url("/support?view=mine"));
  await expect(page.getByRole("listitem").filter({ hasText: reference })).toContainText("assigned to Quinn Queue");
});
