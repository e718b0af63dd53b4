import { checkPage, expect, test } from "./fixtures";

/**
 * The help centre in real Chromium (issue 15, "Help centre"): search works with JavaScript turned
 * off and finds the authenticator articles; the list, the search results and an article pass axe
 * and fit 360 px without sideways scrolling.
 */

test("help search finds the authenticator articles with JavaScript disabled", async ({ browser, portal }) => {
  const ctx = await browser.newContext({ baseURL: portal.app.origin, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto("/help");
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  const search = page.getByRole("search");
  await search.getByLabel("Search help articles").fill("authenticator");
  await search.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/help\?q=authenticator$/);
  const results = page.getByRole("region", { name: /articles? match “authenticator”/ });
  await expect(results).toBeVisible();
  const first = results.getByRole("listitem").first().getByRole("link");
  await expect(first).toHaveText("I lost my authenticator app");
  await expect(results.getByRole("link", { name: "Recovery codes" })).toBeVisible();
  await first.click();
  await expect(page).toHaveURL(/\/help\/lost-authenticator$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("I lost my authenticator app");
  await expect(page.getByRole("link", { name: "Ask our support team", exact: true }).last()).toHaveAttribute("href", "/assisted-recovery");
  await ctx.close();
});

test("the help list, search results and an article: axe finds nothing, and nothing scrolls sideways at 360 px", async ({ page }) => {
  await page.goto("/help");
  await expect(page.getByRole("region", { name: "All articles" }).getByRole("listitem")).not.toHaveCount(0);
  await checkPage(page);
  await page.goto("/help?q=lost+phone");
  await expect(page.getByRole("region", { name: /match “lost phone”/ })).toBeVisible();
  await checkPage(page);
  await page.goto("/help?q=nothing+matches+this+zebra");
  await expect(page.getByRole("heading", { name: /No articles match/ })).toBeVisible();
  await checkPage(page);
  await page.goto("/help/spot-phishing");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("How to spot a fake message that pretends to be us");
  await checkPage(page);
  const missing = await page.goto("/help/no-such-article");
  expect(missing?.status()).toBe(404);
  await checkPage(page);
});
