import { test, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { generate } from "otplib";
import { addAccounts } from "../helpers/app";
import { linkIn, type CaughtMail } from "../helpers/smtp-sink";
import { Client } from "../helpers/http";
import { pick, probes } from "../helpers/probes";
import { expectNoAxeViolations, ownPortal, uniqueName } from "./fixtures";

/**
 * Assisted recovery in a real browser (SECURITY.md AR-02..AR-05, EML-01, EML-02, NTF-02): a
 * customer sends the form with hostile text, support's real inbox gets it escaped, the customer
 * confirms the contact address from the real acknowledgement, a staff member created with the
 * CLI enrols an authenticator and approves or rejects, and the customer's real email carries the
 * result. "This wasn't me" locks the account and signs out a browser that was signed in.
 * Every page on the way is checked with axe.
 *
 * This file runs its own portal (not the shared worker fixture): all browser traffic comes from
 * 127.0.0.1, so the per-address ticket and sign-in limits are raised, and sessions idle for a day
 * so that moving the portal clock (for TOTP steps) never signs anyone out.
 */

test.describe.configure({ mode: "serial" });

const SUPPORT = "support@localhost";
const STAFF_EMAIL = `agent.${process.pid}@staff.test`;
const STAFF_PASSWORD = "staff pass words here ok";
const NEW_PASSWORD = "velvet canyon orbit maple tundra";
const REPORT_PASSWORD = "copper lagoon thistle beacon";
const REF_RE = /^AR-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

let totpSecret = "";
const users = { approve: uniqueName("arok"), report: uniqueName("arrep") };
const emailOf = (u: string) => `${u}@example.test`;

const { app, mail } = ownPortal({
  env: { LIMIT_TICKETS_PER_IP_PER_HOUR: "100", LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100", SESSION_IDLE_MINUTES: "1440" },
  setup: async () => {
    const [imported, staff] = await Promise.all([
      addAccounts(app, Object.values(users).map((username) => ({ username }))),
      app.cli(["staff", "add", "--email", STAFF_EMAIL, "--name", "Agent Smith", "--password-stdin"], STAFF_PASSWORD),
    ]);
    for (const r of [...imported, staff]) expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});

// ---- helpers --------------------------------------------------------------------------------

const url = (p: string) => app.origin + p;


/** A page that records every JavaScript dialog (there must never be one). */
async function watchedPage(ctx: BrowserContext): Promise<{ page: Page; dialogs: string[] }> {
  const page = await ctx.newPage();
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return { page, dialogs };
}

/** A TOTP code for the portal's clock (tests move it). */
async function currentCode(): Promise<string> {
  const res = await fetch(url("/__test/clock"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceMs: 0 }) });
  const { now } = (await res.json()) as { now: number };
  return generate({ secret: totpSecret, epoch: Math.floor(now / 1000) });
}

async function staffPassword(page: Page) {
  await page.goto(url("/support/login"));
  await expect(page.getByRole("heading", { level: 1, name: "Support console" })).toBeVisible();
  await page.getByLabel("Staff email").fill(STAFF_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(STAFF_PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
}

/** First sign-in: password, then set up the authenticator from the key on the page. */
async function staffEnrol(page: Page) {
  await page.goto(url("/support/login"));
  await expectNoAxeViolations(page, "/support/login");
  await staffPassword(page);
  await expect(page).toHaveURL(url("/support/setup"));
  await expect(page.getByRole("heading", { level: 1, name: "Set up your authenticator app" })).toBeVisible();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  totpSecret = (await page.getByTestId("totp-secret").textContent())?.trim() ?? "";
  expect(totpSecret).toMatch(/^[A-Z2-7]{32,}$/);
  await expectNoAxeViolations(page, "/support/setup");
  await page.getByLabel("Code").fill(await currentCode());
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await expect(page).toHaveURL(url("/support"));
  await expect(page.getByRole("heading", { level: 1, name: "Tickets" })).toBeVisible();
}

/** Later sign-ins: password, then a code from the next time step (each step is accepted once). */
async function staffSignIn(page: Page, checkAxe = false) {
  await app.advanceClock(30_000);
  await staffPassword(page);
  await expect(page).toHaveURL(url("/support/verify"));
  await expect(page.getByRole("heading", { level: 1, name: "Authenticator code" })).toBeVisible();
  if (checkAxe) await expectNoAxeViolations(page, "/support/verify");
  await page.getByLabel("Code").fill(await currentCode());
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(url("/support"));
}

type Claim = { fullName: string; accountHint?: string; contactEmail: string; category: string; details: string };

async function fillTicketForm(page: Page, claim: Claim) {
  await page.getByLabel("Full name").fill(claim.fullName);
  if (claim.accountHint) await page.getByLabel("Username or email on the account (optional)").fill(claim.accountHint);
  await page.getByLabel("Email where we can reach you").fill(claim.contactEmail);
  await page.getByRole("group", { name: "What happened?" }).getByLabel(claim.category).check();
  await page.getByLabel("Tell us more").fill(claim.details);
  await page.getByLabel("Roughly when did you last sign in?").fill("last week");
  await page.getByLabel("When did you open the account?").fill("2019");
  await page.getByLabel("You may contact me at the address and phone above about this request.").check();
}

/** Sends the form and returns the reference shown on the confirmation page. */
async function sendTicket(page: Page, claim: Claim): Promise<string> {
  await page.goto(url("/assisted-recovery"));
  await fillTicketForm(page, claim);
  await page.getByRole("button", { name: "Send to support" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "We've got your request" })).toBeVisible();
  const reference = (await page.getByRole("main").locator("strong").first().textContent()) ?? "";
  expect(reference).toMatch(REF_RE);
  return reference;
}

async function openTicketFromList(page: Page, reference: string) {
  await page.goto(url("/support"));
  await page.getByRole("link", { name: reference, exact: true }).click();
  await expect(page).toHaveURL(/\/support\/tickets\/[a-z2-7]{24}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(reference);
}

async function recordAction(page: Page, action: string, note: string) {
  await page.getByLabel(action).check();
  await page.getByLabel(/^Note/).fill(note);
  await page.getByRole("button", { name: "Record action" }).click();
}

function headerNames(raw: string): string[] {
  return raw
    .slice(0, raw.search(/\r?\n\r?\n/))
    .replace(/\r?\n[ \t]+/g, " ")
    .split(/\r?\n/)
    .map((l) => l.slice(0, l.indexOf(":")).toLowerCase());
}

const probe = probes(() => app);
const ticketRow = (reference: string) => probe.ticketRow(reference)!;

async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext();
}

// ---- tests ----------------------------------------------------------------------------------

/** State handed from step to step of the main story (the tests run in order, in one worker). */
const story = { reference: "", staffCtx: null as BrowserContext | null, staff: null as Page | null, staffDialogs: [] as string[] };

test.afterAll(async () => {
  await story.staffCtx?.close();
});

test("a customer sends the form with hostile text; support's real inbox gets it escaped; the acknowledgement's confirm link works", async ({ browser }) => {
  const username = users.approve;
  const customerCtx = await newContext(browser);
  try {
    const { page, dialogs } = await watchedPage(customerCtx);

    // The empty form, then the same form with errors.
    await page.goto(url("/assisted-recovery"));
    await expect(page.getByRole("heading", { level: 1, name: "Get help from our support team" })).toBeVisible();
    await expectNoAxeViolations(page, "/assisted-recovery (empty)");
    await page.getByRole("button", { name: "Send to support" }).click();
    await expect(page.getByText("Please check the fields marked below.")).toBeVisible();
    await expect(page.getByText("Enter your full name")).toBeVisible();
    await expectNoAxeViolations(page, "/assisted-recovery (errors)");

    // Hostile text in the name, header-looking lines in the description.
    await fillTicketForm(page, {
      fullName: "<script>alert(1)</script>",
      accountHint: username,
      contactEmail: emailOf(username),
      category: "My account is locked",
      details: "line one\r\nBcc: x@evil.test\r\nSubject: pwned\r\nline four",
    });
    await page.getByRole("button", { name: "Send to support" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "We've got your request" })).toBeVisible();
    const reference = (await page.getByRole("main").locator("strong").first().textContent()) ?? "";
    expect(reference).toMatch(REF_RE);
    story.reference = reference;
    await expect(page.getByText("within 24 hours")).toBeVisible();
    await expectNoAxeViolations(page, "/assisted-recovery (confirmation)");
    expect(dialogs).toEqual([]);

    // Support's real inbox: the reference, the name escaped, no injected header.
    const support = await mail.waitFor((m) => m.to.includes(SUPPORT) && m.subject.includes(reference));
    expect(support.to).toEqual([SUPPORT]);
    expect(support.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(support.html).not.toMatch(/<script/i);
    expect(support.text).toContain("<script>alert(1)</script>");
    expect(headerNames(support.raw)).not.toContain("bcc");
    expect(support.raw.slice(0, support.raw.search(/\r?\n\r?\n/))).not.toMatch(/evil|pwned/);

    // The acknowledgement: its confirm link works (after the button, not on opening).
    const ack = await mail.waitFor((m) => m.to.includes(emailOf(username)) && m.subject === `We received your request ${reference}`);
    await page.goto(linkIn(ack, "/assisted-recovery/confirm/"));
    await expect(page.getByRole("heading", { level: 1, name: "Confirm your email address" })).toBeVisible();
    expect(ticketRow(reference).contact_confirmed).toBe(0);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Thank you" })).toBeVisible();
    expect(ticketRow(reference).contact_confirmed).toBe(1);
  } finally {
    await customerCtx.close();
  }
});

test("a staff member created by the CLI enrols TOTP, finds the ticket, opens it (no dialog) and approves it with a note", async ({ browser }) => {
  const reference = story.reference;
  story.staffCtx = await newContext(browser);
  const { page: staff, dialogs } = await watchedPage(story.staffCtx);
  story.staff = staff;
  story.staffDialogs = dialogs;
  await staffEnrol(staff);
  await expectNoAxeViolations(staff, "/support");
  const row = staff.locator("li.ticket", { hasText: reference });
  await expect(row).toContainText("My account is locked");
  await openTicketFromList(staff, reference);
  await expect(staff.getByText("<script>alert(1)</script>", { exact: true })).toBeVisible();
  await expect(staff.getByText("confirmed", { exact: true })).toBeVisible();
  await expectNoAxeViolations(staff, "ticket page");
  expect(dialogs).toEqual([]);

  await recordAction(staff, "Approve: send a recovery link to a verified contact", "Claim matches the record; contact confirmed.");
  await expect(staff.getByText("A one-time recovery link was sent to the account's verified email address.")).toBeVisible();
  await expect(staff.getByRole("main")).toContainText("Claim matches the record; contact confirmed.");
  expect(ticketRow(reference).status).toBe("approved");
  expect(dialogs).toEqual([]);
});

test("the customer's recovery link works in another browser: Continue, Set new password, sign in", async ({ browser }) => {
  const username = users.approve;
  const recovery = await mail.waitFor((m) => m.to.includes(emailOf(username)) && /recovery link/.test(m.subject));
  const otherCtx = await newContext(browser);
  try {
    const other = await otherCtx.newPage();
    await other.goto(linkIn(recovery, "/reset/"));
    await other.getByRole("button", { name: "Continue" }).click();
    await expect(other).toHaveURL(url("/reset/password"));
    await other.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await other.getByLabel("Confirm new password", { exact: true }).fill(NEW_PASSWORD);
    await other.getByRole("button", { name: "Set new password" }).click();
    await expect(other.getByRole("heading", { level: 1, name: "Your password was changed" })).toBeVisible();
    await other.goto(url("/login"));
    await other.getByLabel("Username or email").fill(username);
    await other.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
    await other.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(other).toHaveURL(url("/account"));
    await expect(other.getByText(username, { exact: true })).toBeVisible();
  } finally {
    await otherCtx.close();
  }
});

test("reject: the customer gets the rejection email with the staff member's note", async ({ browser }) => {
  const customerCtx = await newContext(browser);
  const staffCtx = await newContext(browser);
  try {
    const contact = `${uniqueName("rej")}@contact.test`;
    const reference = await sendTicket(await customerCtx.newPage(), {
      fullName: "Mallory Example",
      accountHint: "someone-else",
      contactEmail: contact,
      category: "I lost access to my email",
      details: "Please give me the account.",
    });
    const { page: staff, dialogs } = await watchedPage(staffCtx);
    await staffSignIn(staff, true);
    await openTicketFromList(staff, reference);
    await expect(staff.getByText("No account matches what the customer typed.")).toBeVisible();
    const note = "We could not match your answers to any account. #note-" + reference;
    await recordAction(staff, "Reject", note);
    await expect(staff.getByText("The ticket was rejected and the customer told why.")).toBeVisible();
    expect(ticketRow(reference).status).toBe("rejected");

    const rejection = await mail.waitFor((m) => m.to.includes(contact) && m.subject === `About your request ${reference}`);
    expect(rejection.text).toContain(note);
    expect(rejection.to).toEqual([contact]);
    expect(dialogs).toEqual([]);
  } finally {
    await Promise.all([customerCtx.close(), staffCtx.close()]);
  }
});

test("'This wasn't me' from the password-changed email locks the account, signs out another browser and opens a high-priority ticket", async ({ browser }) => {
  const username = users.report;
  // The password changes (here by a reset over HTTP): the notification carries the report link.
  const c = new Client(app.origin);
  const resets = mail.to(emailOf(username)).length;
  expect((await c.post("/forgot-password", { identifier: username })).status).toBe(303);
  await mail.waitFor((m) => m.to.includes(emailOf(username)) && mail.to(emailOf(username)).length > resets);
  const resetMail = mail.to(emailOf(username))[resets];
  expect((await c.post(new URL(linkIn(resetMail, "/reset/")).pathname, {})).status).toBe(303);
  expect((await c.post("/reset/password", { password: REPORT_PASSWORD, confirm: REPORT_PASSWORD })).status).toBe(303);
  const changed: CaughtMail = await mail.waitFor((m) => m.to.includes(emailOf(username)) && /password was changed/.test(m.subject));
  const reportUrl = linkIn(changed, "/report/");

  const signedInCtx = await newContext(browser);
  const reporterCtx = await newContext(browser);
  try {
    // A browser signed in to the account.
    const signedIn = await signedInCtx.newPage();
    await signedIn.goto(url("/login"));
    await signedIn.getByLabel("Username or email").fill(username);
    await signedIn.getByLabel("Password", { exact: true }).fill(REPORT_PASSWORD);
    await signedIn.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(signedIn).toHaveURL(url("/account"));

    // The owner opens the link: nothing happens until the button.
    const { page, dialogs } = await watchedPage(reporterCtx);
    await page.goto(reportUrl);
    await expect(page.getByRole("heading", { level: 1, name: "This wasn't you?" })).toBeVisible();
    await expectNoAxeViolations(page, "/report/<token> (landing)");
    await signedIn.reload();
    await expect(signedIn).toHaveURL(url("/account"));

    await page.getByRole("button", { name: "Secure my account" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "We've secured your account" })).toBeVisible();
    const reference = (await page.getByRole("main").locator("strong").first().textContent()) ?? "";
    expect(reference).toMatch(REF_RE);
    await expectNoAxeViolations(page, "/report/<token> (done)");
    expect(dialogs).toEqual([]);

    // The other browser is signed out; the account is locked until support lifts it.
    await signedIn.reload();
    await expect(signedIn).toHaveURL(url("/login"));
    const lock = pick(probe.locksOf(probe.userId(username)), "reason", "locked_until", "ended_at");
    expect(lock).toEqual([{ reason: "reported_compromise", locked_until: null, ended_at: null }]);
    expect(ticketRow(reference)).toMatchObject({ priority: "high", source: "report", status: "open" });
    await mail.waitFor((m) => m.to.includes(SUPPORT) && m.subject === `[${reference}] HIGH priority assisted-recovery request: Someone else is using my account`);

    // The link was single-use.
    await page.goto(reportUrl);
    await expect(page.getByRole("heading", { level: 1, name: "This link was already used" })).toBeVisible();

    // Support (still signed in from the approval above) sees it, marked high priority.
    const staff = story.staff!;
    await staff.goto(url("/support"));
    await staff.getByLabel("What happened").selectOption("compromised");
    await staff.getByRole("button", { name: "Filter" }).click();
    await expect(staff).toHaveURL(/category=compromised/);
    const row = staff.locator("li.ticket", { hasText: reference });
    await expect(row).toContainText("high");
    await expect(row).toContainText("Someone else is using my account");
    await openTicketFromList(staff, reference);
    await expect(staff.getByText("reported compromise (until unlocked)")).toBeVisible();
    expect(story.staffDialogs).toEqual([]);
  } finally {
    await Promise.all([signedInCtx.close(), reporterCtx.close()]);
  }
});
