import { describe, expect, test } from "vitest";
import { parseCsv } from "~/cli/csv";
import { mainOf, page, pathOf } from "../helpers/customer";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { staffDriver, type StaffLogin } from "../helpers/staff";
import { portalNow } from "../helpers/totp";
import { addPasskey, SoftPasskey } from "../helpers/webauthn";

/**
 * After recovery (issue 15): the "make it easier next time" panel on the reset and unlock done
 * pages, "How easy was this?" from the done pages and from the ticket-closed e-mail (one answer per
 * recovery or ticket, by a signed token; a second is a 409, a forged one a 400/404), the answers in
 * the support reports and their CSV, and `portal feedback export`. Black-box over HTTP, on SQLite
 * and PostgreSQL.
 */

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";
const STAFF_PASSWORD = "staff pass words here ok";
const email = (u: string) => `${u}@example.test`;
const U = { bare: "fbbare", code: "fbcode", full: "fbfull", assisted: "fbassist", chooser: "fbchoose" };

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let supervisor: StaffLogin;

const { app, probe, customer } = usePortal({
  clients: { ip: "10.151" },
  env: { TRUST_PROXY: "loopback", FOUR_EYES: "none", SESSION_IDLE_MINUTES: "1440", SESSION_ABSOLUTE_HOURS: "24", ESCALATION_SWEEP_SECONDS: "3600" },
  accounts: [{ username: U.bare }, { username: U.code }, { username: U.full, phone: "+12025550188" }, { username: U.assisted }, { username: U.chooser }],
  setup: async () => {
    await staff.addAs("supervisor", "sup@feedback.test");
    supervisor = await staff.enrol("sup@feedback.test");
    await customer.givePasswords([U.full], PASSWORD);
    // fbfull has everything: a passkey, an authenticator app, recovery codes and a verified phone.
    const c = await customer.signedIn(U.full, PASSWORD);
    await customer.enrolTotp(c);
    expect((await customer.createRecoveryCodes(c)).codes?.length).toBeGreaterThan(0);
    const added = await addPasskey(c, c, new SoftPasskey(app.origin));
    expect(added.status).toBe(200);
  },
});

/** The signed feedback token in a page's form. */
const tokenIn = (html: string) => html.match(/name="token" value="([^"]+)"/)?.[1];
const items = (html: string) => [...mainOf(html).matchAll(/data-item="([a-z]+)"/g)].map((m) => m[1]);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function send(c: Client, token: string, score: string, comment = "") {
  return page(await c.post("/feedback", { token, score, comment }));
}

/** A reset by e-mail link to the end; returns the browser on /reset/done and the flow it finished. */
async function resetByLink(username: string) {
  const c = await customer.resetByLink(username, email(username));
  const flowId = probe.activeFlowsOf(probe.userId(username)).at(-1)!.id;
  const done = await customer.setPassword(c, NEW_PASSWORD);
  expect(done.location).toBe("/reset/done");
  return { c, flowId };
}

describe("after recovery: the panel", () => {
  test("a reset of an account without factors shows what it lacks, each leading to sign-in with an allow-listed next; another browser sees nothing", async () => {
    const { c } = await resetByLink(U.bare);
    const done = await page(await c.get("/reset/done"));
    expect(done.status).toBe(200);
    expect(mainOf(done.text)).toContain("Make it easier next time");
    expect(items(done.text)).toEqual(["passkey", "totp", "codes", "phone"]);
    for (const next of ["/account/security", "/account/totp", "/account/phone"]) expect(mainOf(done.text)).toContain(`href="/login?next=${next}"`);
    expect(tokenIn(done.text)).toBeTruthy();

    const stranger = await page(await customer.client().get("/reset/done"));
    expect(stranger.status).toBe(200);
    expect(mainOf(stranger.text)).not.toContain("Make it easier next time");
    expect(tokenIn(stranger.text)).toBeUndefined();
    // The unlock done page does not read a reset's cookie.
    expect(tokenIn((await page(await c.get("/unlock/done"))).text)).toBeUndefined();
  });

  test("an unlock of an account that has every factor shows no panel, only the feedback form", async () => {
    const { c, link } = await customer.requestUnlockMail(U.full, email(U.full));
    const cont = await c.post(pathOf(link), {});
    expect(cont.headers.get("location")).toBe("/unlock/verified");
    const kept = await page(await c.post("/unlock/verified", { intent: "keep" }));
    expect(kept.location).toBe("/unlock/done");
    const done = await page(await c.get("/unlock/done"));
    expect(mainOf(done.text)).not.toContain("Make it easier next time");
    expect(items(done.text)).toEqual([]);
    const token = tokenIn(done.text)!;
    expect(token).toBeTruthy();
    expect((await send(c, token, "5")).status).toBe(200);
    const flowId = probe.flowsOf(probe.userId(U.full)).filter((f) => f.purpose === "unlock").at(-1)!.id;
    expect(probe.feedbackFor(flowId).map((r) => [r.kind, r.method, r.purpose, r.score])).toEqual([["recovery", "link", "unlock", 5]]);
  });

  test("the sign-in honours only allow-listed next paths", async () => {
    const to = await customer.signIn(U.full, PASSWORD);
    expect(to.location).toBe("/login/verify");
    for (const [next, want] of [
      ["/account/security", "/account/security"],
      ["https://evil.example/account", "/account"],
      ["//evil.example", "/account"],
      ["/account/../support", "/account"],
    ] as const) {
      const c = customer.client();
      const res = await c.post(`/login?next=${encodeURIComponent(next)}`, { identifier: U.bare, password: NEW_PASSWORD });
      expect(res.status, next).toBe(302);
      expect(res.headers.get("location"), next).toBe(want);
    }
  });
});

describe("after recovery: feedback", () => {
  test("the done page's answer is stored once with the method; a second is a 409 and changes nothing; forged tokens are 400/404", async () => {
    const asked = await customer.requestResetMail(U.code, email(U.code));
    expect((await customer.enterCode(asked.c, asked.code!)).status).toBe(303);
    const flowId = probe.activeFlowsOf(probe.userId(U.code)).at(-1)!.id;
    expect((await customer.setPassword(asked.c, NEW_PASSWORD)).location).toBe("/reset/done");
    const token = tokenIn((await page(await asked.c.get("/reset/done"))).text)!;

    const bad = await send(asked.c, token, "7", "x".repeat(10));
    expect(bad.status).toBe(400);
    expect(mainOf(bad.text)).toContain("Choose how easy it was");
    expect((await send(asked.c, token, "4", "y".repeat(1001))).status).toBe(400);
    expect(probe.feedbackFor(flowId)).toEqual([]);

    const first = await send(customer.client(), token, "4", "  Quick, but the e-mail took a minute.  ");
    expect(first.status, first.text.slice(0, 3000)).toBe(200);
    expect(mainOf(first.text)).toContain("Thank you");
    const rows = probe.feedbackFor(flowId);
    expect(rows.map((r) => [r.kind, r.method, r.purpose, Number(r.score), r.comment])).toEqual([["recovery", "code", "reset", 4, "Quick, but the e-mail took a minute."]]);
    expect(Object.keys(rows[0]).sort()).toEqual(["comment", "created_at", "id", "kind", "method", "purpose", "score", "subject_id"]);

    const second = await send(asked.c, token, "1", "changed my mind");
    expect(second.status).toBe(409);
    expect(mainOf(second.text)).toContain("You already told us, thank you");
    expect(probe.feedbackFor(flowId).map((r) => [Number(r.score), r.comment])).toEqual([[4, "Quick, but the e-mail took a minute."]]);
    // The done page now says thanks instead of asking again.
    const again = await page(await asked.c.get("/reset/done"));
    expect(tokenIn(again.text)).toBeUndefined();
    expect(mainOf(again.text)).toContain("Thank you for telling us");

    const last = token.at(-1) === "0" ? "1" : "0";
    const forged = [token.slice(0, -1) + last, token.replace(".code.", ".link."), token.replace(flowId, "a".repeat(24)), "nonsense", "", "r.x.y.z"];
    for (const t of forged) {
      const res = await send(customer.client(), t, "5");
      expect(res.status, t).toBe(400);
      expect(mainOf(res.text), t).toContain("This feedback link isn&#x27;t valid");
      const opened = await customer.client().get(`/feedback/${encodeURIComponent(t || "x")}`);
      expect(opened.status, t).toBe(404);
    }
    expect(mainOf((await page(await customer.client().get("/feedback"))).text)).toContain("This feedback link isn&#x27;t valid");
    expect(probe.feedbackFor("a".repeat(24))).toEqual([]);
  });

  test("closing a ticket e-mails its contact a feedback link that works once (opening it changes nothing)", async () => {
    const form = customer.ticketForm({ category: "lost_email" });
    const { reference } = await customer.submitTicket(form);
    const ticket = probe.ticketRow(reference!)!;
    const done = await staff.act(supervisor.c, ticket.id, { intent: "action", action: "close", note: "feedback test: close" });
    expect(done.status).toBeLessThan(400);
    const mail = await customer.nthMail(form.contactEmail, /is closed/);
    expect(mail.subject).toBe(`Your request ${reference} is closed`);
    const link = mail.text.match(/https?:\/\/[^\s)\]]+\/feedback\/[A-Za-z0-9.-]+/)?.[0];
    expect(link).toBeTruthy();
    expect(mail.html).toContain(pathOf(link!));

    const c = customer.client();
    for (let i = 0; i < 2; i++) {
      const opened = await page(await c.get(pathOf(link!)));
      expect(opened.status).toBe(200);
      expect(mainOf(opened.text)).toContain("How easy was this?");
    }
    expect(probe.feedbackFor(ticket.id)).toEqual([]);
    const token = decodeURIComponent(pathOf(link!).slice("/feedback/".length));
    expect((await send(c, token, "2", "=HYPERLINK(\"http://x\")")).status).toBe(200);
    expect(probe.feedbackFor(ticket.id).map((r) => [r.kind, r.method, r.purpose, Number(r.score)])).toEqual([["ticket", "assisted", "ticket", 2]]);
    expect((await send(customer.client(), token, "5")).status).toBe(409);
    expect((await customer.client().get(pathOf(link!))).status).toBe(409);
    expect(probe.feedbackFor(ticket.id)).toHaveLength(1);
  });
});

describe("feedback in the reports and the CLI", () => {
  // Answers so far: fbfull unlock link 5, fbcode reset code 4, the ticket 2.
  test("the report page and the summary CSV show the answers, average, distribution and methods of the range", async () => {
    const today = day(await portalNow(app));
    const range = `from=${today}&to=${today}`;
    const res = await supervisor.c.get(`/support/reports?${range}`);
    expect(res.status).toBe(200);
    const html = mainOf(await res.text()).replace(/<!-- -->/g, "");
    expect(html).toContain("3 answers to “How easy was this?”, average 3.7 of 5.");
    const scores = html.match(/data-testid="feedback-scores"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/)![1];
    expect([...scores.matchAll(/<td>(\d+)<\/td>/g)].map((m) => m[1])).toEqual(["0", "1", "0", "1", "1"]);
    const methodRow = (key: string) =>
      [...(html.match(new RegExp(`<tr[^>]*data-key="${key}"[^>]*>([\\s\\S]*?)</tr>`, "g"))?.find((r) => r.includes("<td>")) ?? "").matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(methodRow("assisted")).toEqual(["1", "2.0"]);

    const csv = parseCsv(await (await supervisor.c.get(`/support/reports.csv?${range}`)).text());
    const value = (section: string, item: string, measure: string) => csv.find((r) => r[0] === section && r[1] === item && r[2] === measure)?.[3];
    expect([value("feedback", "all", "responses"), value("feedback", "all", "average")]).toEqual(["3", "3.7"]);
    expect([1, 2, 3, 4, 5].map((s) => value("feedback_score", String(s), "responses"))).toEqual(["0", "1", "0", "1", "1"]);
    expect([value("feedback_method", "link", "responses"), value("feedback_method", "code", "responses"), value("feedback_method", "assisted", "average")]).toEqual(["1", "1", "2.0"]);
    // An earlier range has none, and says so.
    const before = await supervisor.c.get(`/support/reports?from=2020-01-01&to=2020-01-31`);
    expect(mainOf(await before.text())).toContain("No feedback collected yet");
  });

  test("portal feedback export prints the answers as CSV, formula cells escaped; bad dates are refused", async () => {
    const today = day(await portalNow(app));
    const out = await app.cli(["feedback", "export", "--from", today, "--to", today]);
    expect(out.code, out.stderr).toBe(0);
    const rows = parseCsv(out.stdout);
    expect(rows[0]).toEqual(["answered", "kind", "purpose", "method", "score", "comment"]);
    expect(rows.slice(1).map((r) => [r[1], r[2], r[3], r[4]]).sort()).toEqual(
      [
        ["recovery", "unlock", "link", "5"],
        ["recovery", "reset", "code", "4"],
        ["ticket", "ticket", "assisted", "2"],
      ].sort(),
    );
    expect(rows.find((r) => r[1] === "ticket")![5]).toBe(`'=HYPERLINK("http://x")`);
    const empty = await app.cli(["feedback", "export", "--from", "2020-01-01", "--to", "2020-01-02"]);
    expect(parseCsv(empty.stdout)).toEqual([["answered", "kind", "purpose", "method", "score", "comment"]]);
    const bad = await app.cli(["feedback", "export", "--from", "2026-02-30"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("YYYY-MM-DD");
  });
});

describe("the method stored with an answer", () => {
  // After the report and CLI tests, so their counts stay as computed above.
  test("a reset from a support-approved link is 'assisted'; an unlock that goes on to a new password is one unlock recovery", async () => {
    const { reference } = await customer.submitTicket(customer.ticketForm({ accountHint: U.assisted, category: "lost_email" }));
    const ticket = probe.ticketRow(reference!)!;
    expect((await staff.act(supervisor.c, ticket.id, { intent: "action", action: "approve", channel: "email", note: "feedback test: approve" })).status).toBeLessThan(400);
    const m = await customer.nthMail(email(U.assisted), /recovery link/);
    const link = m.text.match(/https?:\/\/[^\s)\]]+\/reset\/[A-Za-z0-9_-]+/)![0];
    const c = customer.client();
    expect((await c.post(pathOf(link), {})).headers.get("location")).toBe("/reset/password");
    const flowId = probe.activeFlowsOf(probe.userId(U.assisted)).at(-1)!.id;
    expect((await customer.setPassword(c, NEW_PASSWORD)).location).toBe("/reset/done");
    const done = await page(await c.get("/reset/done"));
    expect(items(done.text)).toEqual(["passkey", "totp", "codes", "phone"]);
    expect((await send(c, tokenIn(done.text)!, "3")).status).toBe(200);
    expect(probe.feedbackFor(flowId).map((r) => [r.method, r.purpose])).toEqual([["assisted", "reset"]]);

    const asked = await customer.requestUnlockMail(U.chooser, email(U.chooser));
    expect((await customer.enterCode(asked.c, asked.code!, "/unlock/code")).location).toBe("/unlock/verified");
    const chose = await page(await asked.c.post("/unlock/verified", { intent: "reset" }));
    expect(chose.location).toBe("/reset/password");
    // The unlock's own done page was skipped: nothing to show there.
    expect(tokenIn((await page(await asked.c.get("/unlock/done"))).text)).toBeUndefined();
    const resetFlow = probe.activeFlowsOf(probe.userId(U.chooser)).at(-1)!.id;
    expect((await customer.setPassword(asked.c, NEW_PASSWORD)).location).toBe("/reset/done");
    const after = await page(await asked.c.get("/reset/done"));
    expect((await send(asked.c, tokenIn(after.text)!, "4")).status).toBe(200);
    expect(probe.feedbackFor(resetFlow).map((r) => [r.method, r.purpose])).toEqual([["code", "unlock"]]);
  });
});
