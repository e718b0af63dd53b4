import { test, expect, type Page } from "@playwright/test";
import { linkIn } from "../helpers/smtp-sink";
import { checkPage, ownPortal, staffBrowser } from "./fixtures";

/**
 * The customer's side of a ticket and phone tickets in a real browser with real SMTP (issue 14,
 * "Customer replies", "Staff-opened tickets"): a customer opens a ticket, follows the status link
 * from the acknowledgement (the address bar ends without the token), an agent asks a question, the
 * customer answers on the status page and the answer reaches the ticket in the console; an agent
 * opens a phone ticket from the console's navigation. The status page and the new-ticket page are
 * checked with axe and at 360 px wide.
 */

test.describe.configure({ mode: "serial" });

const AGENT = `agent.${process.pid}@status.test`;
const PASSWORD = "staff pass words here ok";

const { app, mail } = ownPortal({
  env: { LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100", SESSION_IDLE_MINUTES: "1440" },
  setup: async () => {
    const r = await app.cli(["staff", "add", "--email", AGENT, "--name", "Agnes Agent", "--role", "agent", "--password-stdin"], PASSWORD);
    expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});

const url = (p: string) => app.origin + p;

const staff = staffBrowser(() => app.origin, PASSWORD);
/** First sign-in of the agent: password, then the authenticator set-up. */
const enrolAgent = (page: Page) => staff.enrol(page, AGENT);

/** The identity checklist, as typed by a customer on the public form or an agent on the phone. */
async function fillChecklist(page: Page, contact: string, details: string) {
  await page.getByLabel("Full name").fill("Casey Customer");
  await page.getByLabel("Email where we can reach you").fill(contact);
  await page.getByLabel("My account is locked").check();
  await page.getByLabel("Tell us more").fill(details);
  await page.getByLabel("Roughly when did you last sign in?").fill("last week");
  await page.getByLabel("When did you open the account?").fill("2020");
}

let agentPage: Page;

test("a customer's reply from the status page reaches the ticket in the console", async ({ browser }) => {
  const customerCtx = await browser.newContext();
  const agentCtx = await browser.newContext();
  const customer = await customerCtx.newPage();
  agentPage = await agentCtx.newPage();
  const contact = `customer.${process.pid}@contact.test`;

  await customer.goto(url("/assisted-recovery"));
  await fillChecklist(customer, contact, "I typed the wrong password too often.");
  await customer.getByLabel("You may contact me at the address and phone above about this request.").check();
  await customer.getByRole("button", { name: "Send to support" }).click();
  const reference = (await customer.locator("strong", { hasText: /^AR-/ }).textContent())!.trim();

  const ack = await mail.waitFor((m) => m.to.includes(contact) && /We received your request/.test(m.subject));
  const statusLink = linkIn(ack, "/assisted-recovery/status/");
  const token = statusLink.split("/").pop()!;
  await customer.goto(statusLink);
  await expect(customer).toHaveURL(url("/assisted-recovery/status"));
  expect(await customer.content()).not.toContain(token);
  await expect(customer.getByRole("heading", { level: 1, name: `Your request ${reference}` })).toBeVisible();
  await expect(customer.getByText("Status: Open")).toBeVisible();
  await checkPage(customer);

  // The agent asks a question from the console.
  await enrolAgent(agentPage);
  await agentPage.getByRole("link", { name: reference }).click();
  await agentPage.getByLabel("Ask the customer for more information").check();
  await agentPage.getByRole("textbox", { name: /^Note \(required: what you/ }).fill("Which city did you open the account in?");
  await agentPage.getByRole("button", { name: "Record action" }).click();
  await expect(agentPage.locator(".notice-success")).toBeVisible();

  // The customer sees it and answers.
  await customer.reload();
  await expect(customer.getByText("Status: Waiting for your answer")).toBeVisible();
  await expect(customer.getByText("Which city did you open the account in?")).toBeVisible();
  await customer.getByLabel("Your message").fill("In Lisbon, in 2020.");
  await customer.getByRole("button", { name: "Send to support" }).click();
  await expect(customer.getByText("We've added your message to your request")).toBeVisible();
  await expect(customer.getByText("Status: Open")).toBeVisible();
  await checkPage(customer);

  // The reply reaches the ticket: highlighted and in the history; support was told by e-mail.
  await mail.waitFor((m) => m.to.includes("support@localhost") && m.subject.includes(reference) && m.subject.includes("replied"));
  await agentPage.reload();
  await expect(agentPage.getByTestId("customer-reply")).toContainText("In Lisbon, in 2020.");
  await expect(agentPage.getByRole("list").filter({ hasText: "customer reply" })).toContainText("In Lisbon, in 2020.");
  await customerCtx.close();
});

test("an agent opens a phone ticket from the console; the caller gets the acknowledgement", async () => {
  const contact = `caller.${process.pid}@contact.test`;
  await agentPage.goto(url("/support"));
  await agentPage.getByRole("link", { name: "New phone ticket" }).click();
  await expect(agentPage).toHaveURL(url("/support/tickets/new"));
  await checkPage(agentPage);
  await fillChecklist(agentPage, contact, "Called: locked out after a trip.");
  await agentPage.getByLabel("The caller agreed that we may contact them at the address and phone above about this request.").check();
  await agentPage.getByRole("button", { name: "Open the ticket" }).click();
  await expect(agentPage).toHaveURL(/\/support\/tickets\/[a-z2-7]{24}$/);
  await expect(agentPage.getByRole("heading", { level: 1 })).toContainText("by phone");
  await expect(agentPage.getByText("Called: locked out after a trip.")).toBeVisible();
  const ack = await mail.waitFor((m) => m.to.includes(contact) && /We received your request/.test(m.subject));
  expect(linkIn(ack, "/assisted-recovery/status/")).toMatch(/[A-Za-z0-9_-]{43}$/);
  await agentPage.context().close();
});
