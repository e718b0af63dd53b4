import { test, expect } from "@playwright/test";
import { checkPage, ownPortal, staffBrowser } from "./fixtures";

/**
 * The admins' read-only webhook list (issue 17) in a real browser: an admin opens it from the
 * console's navigation; it lists an endpoint added with the CLI and passes axe at 360 px.
 */

const ADMIN = `whadmin.${process.pid}@staff.test`;
const PASSWORD = "staff pass words here ok";

const { app } = ownPortal({
  setup: async () => {
    const r = await app.cli(["staff", "add", "--email", ADMIN, "--name", "Ada Admin", "--role", "admin", "--password-stdin"], PASSWORD);
    expect(r.stderr + `exit ${r.code}`).toBe("exit 0");
  },
});

const staff = staffBrowser(() => app.origin, PASSWORD);

test("an admin sees the webhook endpoints from the console's navigation; the page passes axe at 360 px", async ({ page }) => {
  const added = await app.cli(["webhook", "add", "--url", "http://127.0.0.1:9/a-rather-long-path/for-the-receiver/webhooks", "--events", "password.reset,account.locked,account.unlocked,ticket.created"]);
  expect(added.code, added.stderr).toBe(0);
  const id = /^id: (\S+)$/m.exec(added.stdout)![1]!;
  await staff.enrol(page, ADMIN);
  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  await expect(page.getByText(id)).toBeVisible();
  await checkPage(page);
});
