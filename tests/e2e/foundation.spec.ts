import type { Page } from "@playwright/test";
import { axeViolations, expect, submitSignIn, test, uniqueName } from "./fixtures";

/** The Foundation slice in real Chromium: chooser, sign-in and out, accessibility, small screens. */

const SIGN_IN_FAILED = "That username or email and password don't match. Check them and try again.";
const PASSWORD = "granite willow ferry compass";

// Independent tests: spread them over both workers (each worker has its own portal and user).
test.describe.configure({ mode: "parallel" });

let username: string;
test.beforeAll(async ({ portal }) => {
  username = uniqueName("e2e");
  const res = await portal.app.cli(
    ["user", "add", "--username", username, "--email", `${username}@example.test`, "--password-stdin"],
    `${PASSWORD}\n`,
  );
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
});

const signIn = (page: Page, identifier = username, password = PASSWORD) => submitSignIn(page, identifier, password);

test("the chooser offers the five ways forward", async ({ page }) => {
  await page.goto("/");
  const main = page.getByRole("main");
  const choices: [string, string][] = [
    ["Forgot your password?", "/forgot-password"],
    ["Forgot your username?", "/forgot-username"],
    ["Account locked?", "/unlock"],
    ["Can't use your email or phone?", "/assisted-recovery"],
    ["Sign in", "/login"],
  ];
  for (const [text, href] of choices) {
    const link = main.getByRole("link").filter({ has: page.getByText(text, { exact: true }) });
    await expect(link, text).toHaveCount(1);
    await expect(link, text).toHaveAttribute("href", href);
  }
  await main.getByRole("link").filter({ has: page.getByText("Forgot your username?", { exact: true }) }).click();
  await expect(page).toHaveURL(/\/forgot-username$/);
});

test("a CLI-created user signs in, sees the account page, signs out, and is then sent to /login", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("main")).toContainText(username);
  const signOut = page.getByRole("button", { name: "Sign out" });
  await expect(signOut).toBeVisible();
  await signOut.click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await page.context().cookies()).filter((c) => c.name === "session")).toEqual([]);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Username or email")).toBeVisible();
});

test("a wrong password shows the one generic message", async ({ page }) => {
  await signIn(page, username, "not my password at all");
  const alert = page.getByRole("alert");
  await expect(alert).toContainText(SIGN_IN_FAILED);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page).not.toHaveURL(/\/account/);
});

test("the sign-in form works with JavaScript disabled", async ({ browser, portal }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL: portal.app.origin });
  try {
    const page = await context.newPage();
    await signIn(page);
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole("main")).toContainText(username);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
  } finally {
    await context.close();
  }
});

test("security headers are present on a page response", async ({ page }) => {
  const res = await page.goto("/login");
  expect(res?.status()).toBe(200);
  const h = res!.headers();
  expect(h["content-security-policy"]).toMatch(/object-src 'none'/);
  expect(h["content-security-policy"]).toMatch(/base-uri 'none'/);
  expect(h["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["cache-control"]).toMatch(/no-store/);
  expect(h["referrer-policy"]).toBe("no-referrer");
  // The page actually ran under that policy: no CSP violation was reported while loading.
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.reload();
  await page.waitForLoadState("networkidle");
  expect(violations).toEqual([]);
});

// ---- accessibility and small screens --------------------------------------------------------

type PageCase = { name: string; open: (page: Page) => Promise<void> };
const visit = (path: string) => async (page: Page) => {
  await page.goto(path);
};
const pages: PageCase[] = [
  { name: "/", open: visit("/") },
  { name: "/login", open: visit("/login") },
  {
    name: "/login with an error",
    open: async (page) => {
      await signIn(page, uniqueName("nobody"), "not my password at all");
      await expect(page.getByRole("alert")).toContainText(SIGN_IN_FAILED);
    },
  },
  {
    name: "/account",
    open: async (page) => {
      await signIn(page);
      await expect(page).toHaveURL(/\/account$/);
    },
  },
  { name: "/help", open: visit("/help") },
  { name: "/dev/mailbox", open: visit("/dev/mailbox") },
  { name: "/forgot-username", open: visit("/forgot-username") },
  { name: "/unlock", open: visit("/unlock") },
  { name: "/assisted-recovery", open: visit("/assisted-recovery") },
  { name: "/support", open: visit("/support") },
  {
    name: "a 404 page",
    open: async (page) => {
      const res = await page.goto("/no-such-page");
      expect(res?.status()).toBe(404);
    },
  },
];

for (const p of pages) {
  test(`${p.name}: axe finds no violations, and there is no horizontal scroll at 360 px`, async ({ page }) => {
    await p.open(page);
    expect(await axeViolations(page)).toEqual([]);

    await page.setViewportSize({ width: 360, height: 740 });
    await expect.poll(() => page.evaluate(() => window.innerWidth)).toBe(360);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(360);
  });
}
