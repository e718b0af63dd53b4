import type { Browser } from "@playwright/test";
import { checkPage, contexts, countMail, expect, importWithPasswords, nthMail, portalTest, submitSignIn, uniqueName } from "./fixtures";
import type { TestApp } from "../helpers/app";

/**
 * The account security page (issue 15) in real Chromium with real SMTP: recent activity shows a
 * failed sign-in made from another browser; "Sign out every other device" ends the other
 * context's session; a new-device sign-in e-mail arrives and can be turned off. axe and 360 px on
 * every new page.
 */

const test = portalTest({ TRUST_PROXY: "loopback" });
test.use({ trace: "off" });

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "copper lantern meadow falcon";
const email = (u: string) => `${u}@example.test`;
const NEW_DEVICE = /^New sign-in to your/;
const newContext = contexts("10.94");
const browserFor = (browser: Browser, app: TestApp) => newContext(browser, app);

test("activity shows a failed sign-in from another browser; sign out every other device ends that browser's session", async ({ browser, portal }) => {
  const { app } = portal;
  const username = uniqueName("asec");
  await importWithPasswords(portal, [username], PASSWORD, "10.94");

  const owner = await (await browserFor(browser, app)).newPage();
  await submitSignIn(owner, username, PASSWORD);
  await expect(owner).toHaveURL(/\/account$/);

  // Another browser: one wrong password, then the right one (a second device of the owner's).
  const other = await (await browserFor(browser, app)).newPage();
  await submitSignIn(other, username, "this is not the password");
  await expect(other.getByRole("alert")).toBeVisible();
  await submitSignIn(other, username, PASSWORD);
  await expect(other).toHaveURL(/\/account$/);

  await owner.getByRole("link", { name: /Account security/ }).click();
  await expect(owner).toHaveURL(/\/account\/security$/);
  const failed = owner.getByTestId("activity-entry").filter({ hasText: "Failed sign-in attempt" });
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText(/Chrome on Linux|Chrome on/);
  await expect(failed).toContainText(/network \d+\.\d+\.\d+\.x/);
  await expect(failed.getByRole("button", { name: "This wasn't me" })).toBeVisible();
  await expect(owner.getByTestId("device")).toHaveCount(2);
  await expect(owner.getByTestId("device").filter({ hasText: "This device" })).toHaveCount(1);
  await checkPage(owner);

  await owner.getByRole("button", { name: "Sign out every other device" }).click();
  await expect(owner.getByText("Every other device was signed out.")).toBeVisible();
  await expect(owner.getByTestId("device")).toHaveCount(1);
  await other.goto("/account");
  await expect(other).toHaveURL(/\/login$/);
  await owner.goto("/account");
  await expect(owner).toHaveURL(/\/account$/);

  // Change the password on its own page (axe and 360 px there too).
  await owner.goto("/account/password");
  await checkPage(owner);
  await owner.getByLabel("Current password").fill(PASSWORD);
  await owner.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await owner.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await owner.getByRole("button", { name: "Change password" }).click();
  await expect(owner).toHaveURL(/\/account\/security\?done=password-changed/);
  await expect(owner.getByText("Your password was changed.")).toBeVisible();
});

test("a new-device sign-in e-mail arrives, and none after the notices are turned off", async ({ browser, portal }) => {
  const { app, mail } = portal;
  const username = uniqueName("asnd");
  await importWithPasswords(portal, [username], PASSWORD, "10.94");

  const first = await (await browserFor(browser, app)).newPage();
  await submitSignIn(first, username, PASSWORD);
  await expect(first).toHaveURL(/\/account$/);

  const second = await (await browserFor(browser, app)).newPage();
  await submitSignIn(second, username, PASSWORD);
  await expect(second).toHaveURL(/\/account$/);
  const notice = await nthMail(mail, email(username), NEW_DEVICE, 0);
  expect(notice.text).toMatch(/Chrome/);
  expect(notice.text).toMatch(/\/report\/[A-Za-z0-9_-]{43}/);
  expect(notice.text).toMatch(/network \d+\.\d+\.\d+\.x/);

  await second.goto("/account/security");
  await second.getByLabel("Off").check();
  await second.getByRole("button", { name: "Save notice setting" }).click();
  await expect(second.getByText("We won't e-mail you about new devices any more.")).toBeVisible();
  await expect(second.getByText("can't be turned off")).toBeVisible();
  await checkPage(second);

  const third = await (await browserFor(browser, app)).newPage();
  await submitSignIn(third, username, PASSWORD);
  await expect(third).toHaveURL(/\/account$/);
  // The sign-in above committed before its redirect: had it queued a notice, the outbox would
  // deliver it within a second or two. Give it that time, then count.
  await third.waitForTimeout(2500);
  expect(countMail(mail, email(username), NEW_DEVICE)).toBe(1);
});
