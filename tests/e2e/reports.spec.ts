import { readFile } from "node:fs/promises";
import { test, expect, type Page } from "@playwright/test";
import { parseCsv } from "~/cli/csv";
import { Client } from "../helpers/http";
import { checkPage, ownPortal, staffBrowser } from "./fixtures";

/**
 * Support reports in a real browser (issue 14, "Reports"): three tickets opened through the public
 * form while the portal's clock stands still, worked by a supervisor two hours later; the
 * supervisor opens /support/reports (axe, 360 px), sees the hand-computed numbers, downloads the
 * CSV export and it holds the same numbers the page shows.
 */

test.describe.configure({ mode: "serial" });

const SUP = `sup.${process.pid}@reports.test`;
const PASSWORD = "staff pass words here ok";
const H = 3_600_000;

const { app } = ownPortal({
  env: {
    TRUST_PROXY: "loopback",
    SESSION_IDLE_MINUTES: "1440",
    SESSION_ABSOLUTE_HOURS: "24",
    TICKET_SLA_NORMAL_HOURS: "4",
    TICKET_SLA_HIGH_HOURS: "1",
    ESCALATION_SWEEP_SECONDS: "3600",
  },
  setup: async () => {
    const r = await app.cli(["staff", "add", "--email", SUP, "--name", "Sam Supervisor", "--role", "supervisor", "--password-stdin"], PASSWORD);
    expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});

const url = (p: string) => app.origin + p;

const staff = staffBrowser(() => app.origin, PASSWORD);
const code = () => staff.code(SUP);
const enrolInBrowser = (page: Page) => staff.enrol(page, SUP);

/** A second session for the same supervisor, over plain HTTP (the staff actions). */
async function signInClient(): Promise<Client> {
  await app.advanceClock(30_000);
  const c = new Client(app.origin, { "x-forwarded-for": `10.94.${process.pid % 200}.250` });
  expect((await c.post("/support/login", { email: SUP, password: PASSWORD })).headers.get("location")).toBe("/support/verify");
  expect((await c.post("/support/verify", { code: await code() })).headers.get("location")).toBe("/support");
  return c;
}

const ticketIds = async (c: Client) => new Set([...(await (await c.get("/support?status=active")).text()).matchAll(/href="\/support\/tickets\/([a-z2-7]{24})"/g)].map((m) => m[1]));

let n = 0;
/** Opens a ticket through the public form from its own address; returns its id (from the staff list). */
async function openTicket(staff: Client, category: string): Promise<string> {
  const before = await ticketIds(staff);
  const customer = new Client(app.origin, { "x-forwarded-for": `10.94.${process.pid % 200}.${++n}` });
  const res = await customer.post("/assisted-recovery", {
    website: "",
    fullName: "Ada Lovelace",
    accountHint: "",
    contactEmail: `reports${n}.${process.pid}@contact.test`,
    contactPhone: "",
    category,
    details: "Please help.",
    lastSignInClaim: "last week",
    openedClaim: "2019",
    consent: "yes",
  });
  expect(res.status).toBe(200);
  const added = [...(await ticketIds(staff))].filter((id) => !before.has(id));
  expect(added).toHaveLength(1);
  return added[0];
}

async function act(staff: Client, id: string, action: string) {
  const res = await staff.post(`/support/tickets/${id}`, { intent: "action", action, note: `e2e report: ${action}` });
  expect(res.status, action).toBeLessThan(400);
}

const cell = (page: Page, testId: string, name: string) => page.getByTestId(testId).locator(`[data-cell="${name}"]`);
const rowCells = async (page: Page, testId: string, key: string) => (await page.getByTestId(testId).locator(`tr[data-key="${key}"] td`).allTextContents()).map((t) => t.trim());

test("a supervisor sees the hand-computed report for a fixed set of tickets, passes axe at 360 px, and the downloaded CSV holds the same numbers", async ({ browser }) => {
  const ctx = await browser.newContext({ acceptDownloads: true, extraHTTPHeaders: { "x-forwarded-for": `10.94.${process.pid % 200}.251` } });
  const page = await ctx.newPage();
  await enrolInBrowser(page);
  const staff = await signInClient();

  // T0 (the clock stands still from here): locked (normal, SLA 4 h), compromised (high, SLA 1 h),
  // other (normal). Two hours later the locked one is closed and the compromised one gets a
  // question; the report is read at T0+3h.
  await app.freezeClock(true);
  const locked = await openTicket(staff, "locked");
  const compromised = await openTicket(staff, "compromised");
  await openTicket(staff, "other");
  await app.advanceClock(2 * H);
  await act(staff, locked, "close");
  await act(staff, compromised, "request_info");
  await app.advanceClock(1 * H);

  /*
   * By hand: opened 3; resolved 1 (locked, at 2 h, no question → first contact); still open 2.
   * First responses 2 h and 2 h: median 2.0, p90 2.0. Resolution 2 h: median 2.0, p90 2.0.
   * Breaches: compromised answered at 2 h > 1 h; "other" is 3 h old with 4 h SLA: 1 breach.
   * First-contact resolution 1 of 1 (100.0%).
   */
  await page.goto(url("/support/reports"));
  await expect(page.getByRole("heading", { level: 1, name: "Reports" })).toBeVisible();
  await expect(page.getByTestId("report-scope")).toContainText("created");
  await expect(page.getByText("No feedback collected yet")).toBeVisible();
  await checkPage(page);
  const shown = {
    opened: (await cell(page, "totals", "opened").textContent())!.trim(),
    resolved: (await cell(page, "totals", "resolved").textContent())!.trim(),
    open: (await cell(page, "totals", "open").textContent())!.trim(),
    breaches: (await cell(page, "totals", "breaches").textContent())!.trim(),
    firstResponse: await rowCells(page, "times", "first_response"),
    resolution: await rowCells(page, "times", "resolution"),
    high: await rowCells(page, "by-priority", "high"),
    normal: await rowCells(page, "by-priority", "normal"),
  };
  expect(shown).toEqual({
    opened: "3",
    resolved: "1",
    open: "2",
    breaches: "1",
    firstResponse: ["2", "2.0", "2.0"],
    resolution: ["1", "2.0", "2.0"],
    high: ["1", "0", "1"],
    normal: ["2", "1", "1"],
  });
  await expect(cell(page, "totals", "fcr")).toHaveText("1 of 1 (100.0%)");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "these numbers as CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^support-report_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
  const rows = parseCsv(await readFile((await download.path())!, "utf8"));
  const value = (section: string, item: string, measure: string) => rows.find((r) => r[0] === section && r[1] === item && r[2] === measure)?.[3];
  expect({
    opened: value("tickets", "all", "opened"),
    resolved: value("tickets", "all", "resolved"),
    open: value("tickets", "all", "open"),
    breaches: value("sla", "all", "breaches"),
    firstResponse: ["tickets", "median", "p90"].map((m) => value("time_hours", "first_response", m)),
    resolution: ["tickets", "median", "p90"].map((m) => value("time_hours", "resolution", m)),
    high: ["opened", "resolved", "open"].map((m) => value("priority", "high", m)),
    normal: ["opened", "resolved", "open"].map((m) => value("priority", "normal", m)),
  }).toEqual(shown);
  expect(value("first_contact_resolution", "resolved", "percent")).toBe("100.0");

  const [tickets] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "the tickets of this range as CSV" }).click()]);
  const ticketRows = parseCsv(await readFile((await tickets.path())!, "utf8"));
  expect(ticketRows).toHaveLength(4);
  expect(ticketRows.slice(1).map((r) => [r[1], r[5], r[10]]).sort()).toEqual([
    ["compromised", "waiting_customer", "yes"],
    ["locked", "closed", "no"],
    ["other", "open", "no"],
  ]);
  await ctx.close();
});
