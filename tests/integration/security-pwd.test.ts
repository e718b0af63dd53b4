import fs from "node:fs";
import path from "node:path";
import { chromium } from "@playwright/test";
import { describe, expect, test } from "vitest";
import { RELAXED_LIMITS, ROOT } from "../helpers/app";
import { codeIn } from "../helpers/smtp-sink";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";

/**
 * Password fields (SECURITY.md PWD-07, PWD-08): no hints or knowledge-based questions anywhere, and
 * the new-password fields work with password managers, paste and a show/hide toggle.
 */

const PASSWORD = "amber heron quietly rowing";
const email = (u: string) => `${u}@example.test`;

const { app, mail, probe, customer: people } = usePortal({
  clients: { ip: "10.9", headers: { "user-agent": "security-pwd-test/1.0" } },
  env: { ...RELAXED_LIMITS },
  accounts: ["pwdsigned", "pwdreset", "pwdunlock", "pwdbrowser", "pwdextra"].map((username) => ({ username, password: PASSWORD })),
});
const { client } = people;

/** A client that asked for a reset and typed the right code, so it may open /reset/password. */
async function verifiedReset(username: string): Promise<Client> {
  const { c, code } = await people.requestResetMail(username, email(username));
  expect((await people.enterCode(c, code)).location).toBe("/reset/password");
  return c;
}

/** Every route file in app/routes as a URL path (flat routes: "." is "/", a trailing "_" opts out of nesting). */
function routePaths(): string[] {
  return fs
    .readdirSync(path.join(ROOT, "app/routes"))
    .map((f) => f.replace(/\.tsx?$/, ""))
    .map((f) => (f === "_index" ? "/" : "/" + f.split(".").map((s) => s.replace(/_$/, "")).join("/")));
}

/** `<input|select|textarea … name="…">` names in an HTML page. */
const fieldNames = (html: string) => [...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bname="([^"]*)"/gi)].map((m) => m[1]);
const FORBIDDEN_FIELD = /hint|question|answer|maiden|secret.?word|memorable/i;
/** The assisted-recovery form's "username or email" box (tickets.account_hint): names an account, not a password. */
const NOT_A_PASSWORD_HINT = new Set(["accountHint", "account_hint"]);
const forbidden = (name: string) => FORBIDDEN_FIELD.test(name) && !NOT_A_PASSWORD_HINT.has(name);
const FORBIDDEN_TEXT = /security question|secret question|password hint|mother(?:&#x27;|'|’)s maiden|maiden name|\bname="hint"/i;

describe("PWD-07 / PWD-08 password fields", () => {
  test("PWD-07 no page, form, stored column or source file offers a password hint or a security question", async () => {
    const pages = new Map<string, { status: number; html: string }>();
    const visit = async (c: Client, p: string) => {
      const res = await c.get(p);
      pages.set(`${p} (${c === anonymous ? "anonymous" : "with state"})`, { status: res.status, html: await res.text() });
      return res.status;
    };

    // Every route without a URL parameter, as an anonymous visitor.
    const anonymous = client();
    const plain = routePaths().filter((p) => !p.includes("$"));
    for (const p of plain) await visit(anonymous, p);
    for (const p of ["/", "/login", "/forgot-password", "/forgot-username", "/unlock", "/assisted-recovery", "/help", "/support/login"]) {
      expect(pages.get(`${p} (anonymous)`)?.status, p).toBe(200);
    }

    // The steps that need state: a code page, the new-password page, the unlock code page, the account pages.
    const resetting = client();
    const before = mail.to(email("pwdreset")).filter((m) => /reset/i.test(m.subject)).length;
    await resetting.post("/forgot-password", { identifier: "pwdreset" });
    expect(await visit(resetting, "/forgot-password/code")).toBe(200);
    await resetting.post("/forgot-password/code", { intent: "verify", code: codeIn(await people.nthMail(email("pwdreset"), /reset/i, before)) });
    expect(await visit(resetting, "/reset/password")).toBe(200);

    const unlocking = client();
    await unlocking.post("/unlock", { identifier: "pwdunlock" });
    expect(await visit(unlocking, "/unlock/code")).toBe(200);

    const signedIn = client();
    const login = await signedIn.post("/login", { identifier: "pwdsigned", password: PASSWORD });
    expect(login.headers.get("location")).toBe("/account");
    const accountPages = plain.filter((p) => p.startsWith("/account"));
    expect(accountPages.length).toBeGreaterThanOrEqual(5);
    for (const p of accountPages) expect(await visit(signedIn, p), p).toBe(200);

    const offending = [...pages].flatMap(([p, { html }]) => [
      ...fieldNames(html).filter(forbidden).map((n) => `${p}: field ${n}`),
      ...(FORBIDDEN_TEXT.test(html) ? [`${p}: ${html.match(FORBIDDEN_TEXT)![0]}`] : []),
    ]);
    expect(offending).toEqual([]);
    // The pages looked at do have forms (the check is not vacuous).
    expect(fieldNames(pages.get("/reset/password (with state)")!.html)).toEqual(expect.arrayContaining(["password", "confirm"]));

    // Nothing is stored that could hold a hint or an answer.
    const columns = probe.columnNames();
    expect(columns.length).toBeGreaterThan(20);
    expect(pages.get("/assisted-recovery (anonymous)")!.html).toMatch(/username or email/i);
    expect(columns.filter((c) => forbidden(c.split(".")[1]))).toEqual([]);

    // Pages behind URL tokens or staff sign-in are covered by the source: no route, component or e-mail has one.
    const sources = ["app", "emails"].flatMap((d) => fs.readdirSync(path.join(ROOT, d), { recursive: true, encoding: "utf8" }).map((f) => path.join(d, f)));
    const bad = sources
      .filter((f) => /\.tsx?$/.test(f))
      .filter((f) => {
        const text = fs.readFileSync(path.join(ROOT, f), "utf8");
        return FORBIDDEN_TEXT.test(text) || /\bname="(?:hint|question|answer)"/.test(text);
      });
    expect(sources.length).toBeGreaterThan(50);
    expect(bad).toEqual([]);
  });

  test("PWD-07 extra hint/answer fields posted with a new password are ignored, never stored", async () => {
    const c = await verifiedReset("pwdextra");
    const next = "copper lantern drifting slowly";
    const res = await c.post("/reset/password", { password: next, confirm: next, hint: "lantern", question: "first pet", answer: "Rex" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/reset/done");
    // The password works, and no row anywhere holds the hint or the answer.
    expect((await client().post("/login", { identifier: "pwdextra", password: next })).headers.get("location")).toBe("/account");
    const hits = probe
      .everyRow()
      .filter(({ row }) => Object.values(row).some((v) => typeof v === "string" && (v.includes("first pet") || v === "Rex")))
      .map(({ table }) => table);
    expect(hits).toEqual([]);
  });

  test("PWD-08 new-password fields: type=password, autocomplete=new-password, no paste block or short maxlength, working show/hide toggle, paste allowed", async () => {
    const c = await verifiedReset("pwdbrowser");
    const html = await (await c.get("/reset/password")).text();
    const inputs = [...html.matchAll(/<input\b[^>]*>/gi)].map((m) => m[0]).filter((i) => /\bname="(password|confirm)"/.test(i));
    expect(inputs).toHaveLength(2);
    for (const input of inputs) {
      expect(input).toMatch(/\btype="password"/);
      expect(input).toMatch(/\bautocomplete="new-password"/i);
      expect(input).not.toMatch(/\bon(?:paste|copy|cut|drop|contextmenu)=/i);
      const max = input.match(/\bmaxlength="(\d+)"/i);
      if (max) expect(Number(max[1])).toBeGreaterThanOrEqual(256); // PWD-03: long passwords are not cut short
    }

    // In a real browser: the toggle appears once hydrated, switches both fields, and paste is not cancelled.
    const browser = await chromium.launch({
      executablePath: process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--headless", "--disable-gpu"],
    });
    try {
      const context = await browser.newContext({ baseURL: app.origin, extraHTTPHeaders: { "x-forwarded-for": "10.9.1.1" } });
      await context.addCookies([...c.cookies].map(([name, value]) => ({ name, value, url: app.origin })));
      const page = await context.newPage();
      await page.goto("/reset/password");
      const field = page.locator("#new-password");
      const confirm = page.locator("#confirm-password");
      await expect.poll(() => page.getByRole("button", { name: "Show" }).count(), { timeout: 15_000 }).toBe(1);
      expect(await field.getAttribute("type")).toBe("password");
      await page.getByRole("button", { name: "Show" }).click();
      await expect.poll(() => field.getAttribute("type")).toBe("text");
      expect(await confirm.getAttribute("type")).toBe("text");
      await page.getByRole("button", { name: "Hide" }).click();
      await expect.poll(() => field.getAttribute("type")).toBe("password");

      // A paste event reaches the field and nothing calls preventDefault on it.
      const cancelled = await field.evaluate((el) => {
        const data = new DataTransfer();
        data.setData("text/plain", "pasted from a manager");
        const event = new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
        el.dispatchEvent(event);
        return event.defaultPrevented;
      });
      expect(cancelled).toBe(false);

      // And a password typed or filled in whole is submitted whole.
      const next = "saffron meadow kettle bridge";
      await field.fill(next);
      await confirm.fill(next);
      await Promise.all([page.waitForURL(/\/reset\/done$/), page.getByRole("button", { name: /password/i }).click()]);
      await context.close();
    } finally {
      await browser.close();
    }
    expect((await client().post("/login", { identifier: "pwdbrowser", password: "saffron meadow kettle bridge" })).headers.get("location")).toBe("/account");
  }, 60_000);
});
