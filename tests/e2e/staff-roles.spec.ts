import { test, expect, type Page } from "@playwright/test";
import { linkIn } from "../helpers/smtp-sink";
import { checkPage, ownPortal, staffBrowser } from "./fixtures";

/**
 * Staff management in a real browser with real SMTP (issue 14, "Staff and roles"): an admin
 * invites an agent by e-mail, the agent sets a password from the one-time link and an
 * authenticator at the first sign-in, gets a 403 page on the staff page, and the admin disables
 * (the agent's next page is the sign-in) and re-enables them. Every page is checked with axe and
 * at 360 px wide.
 */

test.describe.configure({ mode: "serial" });

const ADMIN = `admin.${process.pid}@staff.test`;
const AGENT = `invited.${process.pid}@staff.test`;
const PASSWORD = "staff pass words here ok";

const { app, mail } = ownPortal({
  env: { LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "100", SESSION_IDLE_MINUTES: "1440" },
  setup: async () => {
    const r = await app.cli(["staff", "add", "--email", ADMIN, "--name", "Ada Admin", "--role", "admin", "--password-stdin"], PASSWORD);
    expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});

const url = (p: string) => app.origin + p;

const staff = staffBrowser(() => app.origin, PASSWORD);
const { code, enrol, passwordStep: password } = staff;

async function signIn(page: Page, email: string) {
  await app.advanceClock(30_000);
  await password(page, email);
  await expect(page).toHaveURL(url("/support/verify"));
  await page.getByLabel("Code").fill(await code(email));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(url("/support"));
}

test("an admin invites an agent by e-mail, the agent sets up from the link and is refused the staff page; the admin disables and re-enables them", async ({ browser }) => {
  const adminCtx = await browser.newContext();
  const agentCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  const agent = await agentCtx.newPage();

  await enrol(admin, ADMIN);
  await admin.goto(url("/support/staff"));
  await expect(admin.getByRole("heading", { level: 1, name: "Staff accounts" })).toBeVisible();
  await checkPage(admin);

  // Invite.
  await admin.getByLabel("Their work e-mail").fill(AGENT);
  await admin.getByLabel("Their name").fill("Ian Invited");
  await admin.getByLabel("Role", { exact: true }).selectOption("agent");
  await admin.getByRole("button", { name: "Send invitation" }).click();
  await expect(admin.getByText(`Invitation sent to ${AGENT}`)).toBeVisible();
  await checkPage(admin);

  // The agent's one-time link: choose a password, then the authenticator at the first sign-in.
  const invite = await mail.waitFor((m) => m.to.includes(AGENT) && /set up your staff account/i.test(m.subject));
  await agent.goto(linkIn(invite, "/support/invite/"));
  await expect(agent.getByRole("heading", { level: 1, name: "Set up your staff account" })).toBeVisible();
  await checkPage(agent);
  await agent.getByLabel("New password", { exact: true }).fill(PASSWORD);
  await agent.getByLabel("Confirm new password").fill(PASSWORD);
  await agent.getByRole("button", { name: "Save password" }).click();
  await expect(agent).toHaveURL(url("/support/login"));
  await app.advanceClock(30_000);
  await enrol(agent, AGENT);

  // An agent works tickets but the staff page is for admins.
  const refused = await agent.goto(url("/support/staff"));
  expect(refused?.status()).toBe(403);
  await expect(agent.getByText("This page is for admins.")).toBeVisible();
  await checkPage(agent);

  // Disable: the agent's next page is the sign-in page. Enable: they sign in again.
  await admin.goto(url("/support/staff"));
  await admin.getByRole("button", { name: `Disable ${AGENT}` }).click();
  await expect(admin.getByText(`${AGENT} is disabled and was signed out everywhere.`)).toBeVisible();
  await agent.goto(url("/support"));
  await expect(agent).toHaveURL(url("/support/login"));
  await admin.getByRole("button", { name: `Enable ${AGENT}` }).click();
  await expect(admin.getByText(`${AGENT} is enabled and can sign in again.`)).toBeVisible();
  await checkPage(admin);
  await signIn(agent, AGENT);

  await adminCtx.close();
  await agentCtx.close();
});
