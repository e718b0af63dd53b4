import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Webhook } from "standardwebhooks";
import { RELAXED_LIMITS, runCli } from "../helpers/app";
import { freshTotp } from "../helpers/totp";
import { usePortal } from "../helpers/portal";
import { pathOf, reportLinkIn } from "../helpers/customer";
import { staffDriver, type StaffLogin } from "../helpers/staff";
import { guardedLookup, resolveProblem, urlProblem } from "../../app/webhooks/url.server";

/**
 * Webhooks (issue 17): endpoints added with the CLI receive Standard Webhooks deliveries through
 * the outbox. A real HTTP receiver started here verifies every delivery with the `standardwebhooks`
 * verifier. Real portal, both engines.
 */

type Delivery = { path: string; headers: Record<string, string>; body: string; answered: number };

/** The receiver: records every POST; a path answers the statuses queued for it, then 200. */
const receiver = {
  server: undefined as http.Server | undefined,
  url: "",
  deliveries: [] as Delivery[],
  script: new Map<string, number[]>(),
  at(path: string) {
    return this.deliveries.filter((d) => d.path === path);
  },
};

beforeAll(async () => {
  receiver.server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const queued = receiver.script.get(path) ?? [];
      const answered = queued.length > 0 ? queued.shift()! : 200;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      receiver.deliveries.push({ path, headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => receiver.server!.listen(0, "127.0.0.1", r));
  receiver.url = `http://127.0.0.1:${(receiver.server!.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => receiver.server?.close(r));
});

const run = `${process.pid % 1000}${Date.now() % 100000}`;
const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "copper heron meadow lantern";
const U = {
  reset: `whreset${run}`,
  retry: `whretry${run}`,
  rotate: `whrotate${run}`,
  report: `whreport${run}`,
  down: `whdown${run}`,
  self: `whself${run}`,
  staffUnlock: `whstun${run}`,
  change: `whchange${run}`,
  removed: `whremoved${run}`,
};
const ADMIN = `whadmin${run}@staff.test`;
const AGENT = `whagent${run}@staff.test`;

const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.77" },
  env: { ...RELAXED_LIMITS, OUTBOX_BACKOFF_BASE_MS: "10", OUTBOX_POLL_MS: "50" },
  accounts: [{ username: U.reset }, { username: U.retry, password: PASSWORD }, { username: U.rotate, password: PASSWORD }, { username: U.report }, { username: U.down }, { username: U.self, password: PASSWORD }, { username: U.staffUnlock }, { username: U.change, password: PASSWORD }, { username: U.removed, password: PASSWORD }],
  setup: async () => {
    await staff.add(ADMIN);
    await staff.addAs("agent", AGENT);
    admin = await staff.enrol(ADMIN);
    agent = await staff.enrol(AGENT);
  },
});
const staff = staffDriver(() => app, { client: () => customer.client(), password: "staff password for webhook tests 42" });
let admin: StaffLogin;
let agent: StaffLogin;
const email = (u: string) => `${u}@example.test`;

/** `webhook add`; returns the printed id and secret (checked to succeed). */
async function addEndpoint(path: string, events: string): Promise<{ id: string; secret: string; stdout: string }> {
  const r = await app.cli(["webhook", "add", "--url", `${receiver.url}${path}`, "--events", events]);
  expect(r.code, r.stderr).toBe(0);
  const id = /^id: (\S+)$/m.exec(r.stdout)?.[1];
  const secret = /^secret: (whsec_\S+)$/m.exec(r.stdout)?.[1];
  expect(id).toBeTruthy();
  expect(secret).toBeTruthy();
  return { id: id!, secret: secret!, stdout: r.stdout };
}

/** Waits until `path` has received at least `n` deliveries, then lets the outbox settle a little. */
async function received(path: string, n: number, timeoutMs = 15_000): Promise<Delivery[]> {
  const start = Date.now();
  while (receiver.at(path).length < n) {
    if (Date.now() - start > timeoutMs) throw new Error(`${path}: ${receiver.at(path).length} deliveries, expected ${n}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return receiver.at(path);
}

/** Lets any further (unexpected) delivery arrive before counting. */
async function settle(): Promise<void> {
  await app.drainOutbox();
  await new Promise((r) => setTimeout(r, 400));
  await app.drainOutbox();
}

type Event = { type: string; timestamp: string; data: Record<string, unknown> };
const verify = (secret: string, d: Delivery) => new Webhook(secret).verify(d.body, d.headers) as Event;

describe("webhooks", () => {
  test("a reset produces exactly one password.reset, signed (Standard Webhooks) and without any secret in it", async () => {
    const { secret } = await addEndpoint("/reset", "password.reset");
    await customer.resetPassword(U.reset, email(U.reset), NEW_PASSWORD);
    const [delivery] = await received("/reset", 1);
    await settle();
    expect(receiver.at("/reset")).toHaveLength(1);
    expect(delivery!.headers["webhook-id"]).toMatch(/^msg_/);
    expect(delivery!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const event = verify(secret, delivery!);
    expect(event.type).toBe("password.reset");
    expect(event.data).toMatchObject({ account_id: probe.userId(U.reset), username: U.reset });
    expect(String(event.data.event_id)).toMatch(/^evt_\d+$/);
    // Never a password, code, token, address or secret (what the reset e-mail carried included).
    const sent = mail.to(email(U.reset)).map((m) => m.text).join("\n");
    const secrets = [NEW_PASSWORD, email(U.reset), secret, ...(sent.match(/\b\d{6}\b/g) ?? []), ...(sent.match(/\/reset\/[A-Za-z0-9_-]{16,}/g) ?? [])];
    expect(secrets.length).toBeGreaterThan(3);
    for (const s of secrets) expect(delivery!.body).not.toContain(s);
    expect(delivery!.body).not.toContain("whsec_");
  });

  test("a receiver answering 500 three times then 200 gets the event once more and no more, with the same webhook-id", async () => {
    const { secret } = await addEndpoint("/flaky", "account.locked");
    receiver.script.set("/flaky", [500, 500, 500]);
    const r = await app.cli(["user", "lock", U.retry, "--reason", "staff", "--note", "webhook retry test"]);
    expect(r.code, r.stderr).toBe(0);
    await received("/flaky", 4);
    await settle();
    const all = receiver.at("/flaky");
    expect(all.map((d) => d.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(all.map((d) => d.headers["webhook-id"])).size).toBe(1);
    for (const d of all) expect(verify(secret, d)).toMatchObject({ type: "account.locked", data: { username: U.retry } });
  });

  test("rotate-secret: deliveries verify with the new secret (the old one keeps signing for the grace period)", async () => {
    const { id, secret: old } = await addEndpoint("/rotate", "account.locked,account.unlocked");
    const r = await app.cli(["webhook", "rotate-secret", id]);
    expect(r.code, r.stderr).toBe(0);
    const fresh = /^secret: (whsec_\S+)$/m.exec(r.stdout)?.[1];
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(old);
    expect((await app.cli(["user", "lock", U.rotate, "--reason", "staff"])).code).toBe(0);
    expect((await app.cli(["user", "unlock", U.rotate, "--note", "rotation test"])).code).toBe(0);
    const deliveries = await received("/rotate", 2);
    await settle();
    expect(deliveries.map((d) => verify(fresh!, d).type).sort()).toEqual(["account.locked", "account.unlocked"]);
    // Two signatures during the grace period: the new secret's and the old one's.
    expect(deliveries[0]!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verify(old, deliveries[0]!).type).toBeTruthy();
    // Audited, never with the secret.
    const rows = probe.auditEvents({ event: ["webhook_endpoint_added", "webhook_secret_rotated"] });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(JSON.stringify(row)).not.toContain("whsec_");
  });

  test("SSRF: webhook add refuses the metadata address, link-local, private and non-loopback http targets", async () => {
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "https://169.254.169.254/latest/meta-data/",
      "https://[fe80::1]/hook",
      "https://[fd00:ec2::254]/hook",
      "https://10.0.0.1/hook",
      "https://192.168.1.10/hook",
      "https://100.64.0.1/hook",
      "https://[::ffff:169.254.169.254]/hook",
      "http://example.com/hook",
      "ftp://example.com/hook",
      "https://user:pass@example.com/hook",
    ]) {
      const r = await app.cli(["webhook", "add", "--url", url, "--events", "*"]);
      expect(r.code, url).not.toBe(0);
      expect(r.stderr, url).toMatch(/refused URL|--events/);
      expect(r.stdout, url).not.toContain("secret:");
    }
    expect(probe.auditEvents({ event: "webhook_endpoint_refused" }).length).toBeGreaterThanOrEqual(10);
    // WEBHOOK_ALLOW_PRIVATE=1 lifts the address rules (a private network's own receivers).
    const allowed = await runCli(["webhook", "add", "--url", "https://10.0.0.1/hook", "--events", "ticket.created"], { ...app.env, WEBHOOK_ALLOW_PRIVATE: "1" });
    expect(allowed.code, allowed.stderr).toBe(0);
    const id = /^id: (\S+)$/m.exec(allowed.stdout)![1]!;
    expect((await app.cli(["webhook", "remove", id])).code).toBe(0);
  });

  test("SSRF in production: https only, and 10.0.0.1, 127.0.0.1 and localhost (also through DNS) are refused", async () => {
    const production = {
      ...app.env,
      NODE_ENV: "production",
      TEST_HOOKS: "0",
      SECRET_KEY: "k".repeat(64),
      APP_ORIGIN: "https://portal.example",
      SMTP_URL: "smtp://127.0.0.1:2525",
      SMS_PROVIDER: "webhook",
      SMS_WEBHOOK_URL: "https://sms.example/hook",
      SMS_WEBHOOK_SECRET: "s".repeat(32),
    };
    for (const url of [`${receiver.url}/prod`, "https://10.0.0.1/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook"]) {
      const r = await runCli(["webhook", "add", "--url", url, "--events", "*"], production);
      expect(r.code, `${url}: ${r.stdout}`).not.toBe(0);
      expect(r.stderr, url).toMatch(/refused URL/);
    }
    const rules = { production: true, allowPrivate: false };
    expect(urlProblem("https://hooks.example.com/x", rules)).toBeNull();
    // The DNS answer is checked, not only the name: localhost resolves to loopback.
    expect(await resolveProblem("https://localhost/hook", rules)).toMatch(/loopback/);
    // At delivery the connection's own lookup refuses too (DNS rebinding after `webhook add`).
    const err = await new Promise<Error | null>((resolve) => guardedLookup(rules)("localhost", {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/refused/);
  });

  test("a compromise report sends account.compromise_reported, account.locked and ticket.created; no address or token in them", async () => {
    const { secret } = await addEndpoint("/all", "*");
    const changed = await customer.resetPassword(U.report, email(U.report), NEW_PASSWORD);
    const link = reportLinkIn(changed.text);
    expect((await customer.client().post(pathOf(link), {})).status).toBe(200);
    const accountId = probe.userId(U.report);
    const wanted = ["password.reset", "account.compromise_reported", "account.locked", "ticket.created"];
    const start = Date.now();
    const mine = () => receiver.at("/all").map((d) => verify(secret, d)).filter((e) => e.data.account_id === accountId);
    while (!wanted.every((t) => mine().some((e) => e.type === t))) {
      if (Date.now() - start > 15_000) throw new Error(`got ${mine().map((e) => e.type).join(", ")}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await settle();
    const types = mine().map((e) => e.type);
    for (const t of ["account.compromise_reported", "account.locked", "password.reset"]) expect(types.filter((x) => x === t), t).toHaveLength(1);
    const bodies = receiver.at("/all").map((d) => d.body).join("\n");
    for (const s of [pathOf(link), NEW_PASSWORD, email(U.report), secret]) expect(bodies).not.toContain(s);
  });

  test("ticket.created and ticket.resolved: a ticket from the form, closed by staff", async () => {
    const { secret } = await addEndpoint("/tickets", "ticket.created,ticket.resolved");
    const form = customer.ticketForm();
    const { reference } = await customer.submitTicket(form);
    expect(reference).toBeTruthy();
    const ticket = probe.ticketRow(reference!)!;
    const closed = await staff.act(admin.c, ticket.id, { action: "close", note: "Closed for the webhook test" });
    expect(closed.status, closed.text.slice(0, 300)).toBeLessThan(400);
    await received("/tickets", 2);
    await settle();
    const events = receiver.at("/tickets").map((d) => verify(secret, d));
    expect(events.map((e) => e.type).sort()).toEqual(["ticket.created", "ticket.resolved"]);
    for (const e of events) expect(e.data.ticket).toBe(reference);
    expect(events.find((e) => e.type === "ticket.resolved")!.data.resolution).toBe("closed");
    // The contact address the customer typed never leaves.
    for (const d of receiver.at("/tickets")) expect(d.body).not.toContain(form.contactEmail!);
  });

  test("a signed-in customer: an authenticator and recovery codes (factor.added), an e-mail change (contact.changed), signing out every other device (session.revoked_all)", async () => {
    const { secret } = await addEndpoint("/self", "factor.added,contact.changed,session.revoked_all");
    const c = await customer.signedIn(U.self, PASSWORD);
    const totpKey = await customer.enrolTotp(c);
    const codes = await customer.createRecoveryCodes(c);
    expect(codes.codes?.length).toBeGreaterThan(0);
    const newEmail = `${U.self}.new@example.test`;
    await customer.changeEmail(c, newEmail);
    expect((await c.post("/account/security", { intent: "sign-out-others" })).status).toBeLessThan(400);
    await received("/self", 4);
    await settle();
    const events = receiver.at("/self").map((d) => verify(secret, d));
    expect(events.map((e) => e.type).sort()).toEqual(["contact.changed", "factor.added", "factor.added", "session.revoked_all"]);
    expect(events.filter((e) => e.type === "factor.added").map((e) => e.data.factor).sort()).toEqual(["recovery_codes", "totp"]);
    expect(events.find((e) => e.type === "contact.changed")!.data.contact).toBe("email");
    for (const e of events) expect(e.data).toMatchObject({ account_id: probe.userId(U.self), username: U.self });
    const bodies = receiver.at("/self").map((d) => d.body).join("\n");
    for (const s of [...codes.codes!, totpKey, newEmail, email(U.self), PASSWORD]) expect(bodies).not.toContain(s);
  });

  test("a password change while signed in sends password.changed, without either password", async () => {
    const { secret } = await addEndpoint("/change", "password.changed,password.reset");
    const c = await customer.signedIn(U.change, PASSWORD);
    const res = await c.post("/account/password", { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(res.status).toBeLessThan(400);
    const [d] = await received("/change", 1);
    await settle();
    expect(receiver.at("/change")).toHaveLength(1);
    expect(verify(secret, d!)).toMatchObject({ type: "password.changed", data: { account_id: probe.userId(U.change), username: U.change, via: "account" } });
    for (const s of [PASSWORD, NEW_PASSWORD]) expect(d!.body).not.toContain(s);
  });

  test("removing the authenticator app sends factor.removed; a manual escalation sends ticket.escalated; neither carries the code or the staff note", async () => {
    const { secret } = await addEndpoint("/removed", "factor.removed,ticket.escalated");
    const c = await customer.signedIn(U.removed, PASSWORD);
    const totpKey = await customer.enrolTotp(c);
    const code = await freshTotp(app, totpKey);
    expect((await c.post("/account/security", { intent: "disable-totp", code })).status).toBe(200);
    const { reference } = await customer.submitTicket(customer.ticketForm());
    const ticket = probe.ticketRow(reference!)!;
    const escalated = await staff.act(admin.c, ticket.id, { intent: "escalate", escalation_note: "Needs a senior look, says the caller." });
    expect(escalated.status, escalated.text.slice(0, 300)).toBe(200);
    await received("/removed", 2);
    await settle();
    const events = receiver.at("/removed").map((d) => verify(secret, d));
    expect(events.map((e) => e.type).sort()).toEqual(["factor.removed", "ticket.escalated"]);
    expect(events.find((e) => e.type === "factor.removed")!.data).toMatchObject({ account_id: probe.userId(U.removed), username: U.removed, factor: "totp" });
    expect(events.find((e) => e.type === "ticket.escalated")!.data.ticket).toBe(reference);
    const bodies = receiver.at("/removed").map((d) => d.body).join("\n");
    for (const x of [code, totpKey, "Needs a senior look"]) expect(bodies).not.toContain(x);
  });

  test("staff's \"Unlock the account\" on a ticket sends account.unlocked", async () => {
    const { secret } = await addEndpoint("/staff-unlock", "account.unlocked");
    expect((await app.cli(["user", "lock", U.staffUnlock, "--reason", "staff"])).code).toBe(0);
    const { reference } = await customer.submitTicket(customer.ticketForm({ accountHint: U.staffUnlock }));
    const ticket = probe.ticketRow(reference!)!;
    expect(ticket.matched_user_id).toBe(probe.userId(U.staffUnlock));
    const done = await staff.act(admin.c, ticket.id, { action: "unlock", note: "Checked on the phone" });
    expect(done.status, done.text.slice(0, 300)).toBeLessThan(400);
    const [d] = await received("/staff-unlock", 1);
    await settle();
    expect(receiver.at("/staff-unlock")).toHaveLength(1);
    expect(verify(secret, d!)).toMatchObject({ type: "account.unlocked", data: { account_id: probe.userId(U.staffUnlock), how: "staff_ticket", ticket: reference } });
    expect(d!.body).not.toContain("Checked on the phone");
  });

  test("/support/webhooks: admins see the read-only list; an agent gets the audited 403", async () => {
    const { id } = await addEndpoint("/console?token=receiver-token-123", "account.locked");
    const page = await admin.c.get("/support/webhooks");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(id);
    expect(html).toContain(`${receiver.url}/console?…`);
    expect(html).not.toContain("receiver-token-123");
    expect(html).not.toContain("whsec_");
    expect(html).toMatch(/<dt>Failing since<\/dt>/);
    expect(html).toContain('href="/support/webhooks"');
    const before = probe.auditEvents({ event: "staff_access_refused" }).length;
    const refused = await agent.c.get("/support/webhooks");
    expect(refused.status).toBe(403);
    expect(probe.auditEvents({ event: "staff_access_refused" }).length).toBe(before + 1);
    expect(await (await agent.c.get("/support")).text()).not.toContain('href="/support/webhooks"');
  });

  // Last: it moves the portal's clock a day on.
  test("an endpoint failing for 24 h is disabled, the admins are e-mailed and it gets nothing more", async () => {
    const { id } = await addEndpoint("/down", "account.locked,account.unlocked");
    receiver.script.set("/down", Array(1000).fill(503));
    expect((await app.cli(["user", "lock", U.down, "--reason", "staff"])).code).toBe(0);
    await received("/down", 2);
    expect((await app.cli(["webhook", "list"])).stdout).toMatch(new RegExp(`${id} active .* last=http 503 failing since`));
    await app.advanceClock(25 * 60 * 60_000);
    const start = Date.now();
    while (!(await app.cli(["webhook", "list"])).stdout.includes(`${id} disabled`)) {
      if (Date.now() - start > 20_000) throw new Error("endpoint not disabled");
      await app.drainOutbox();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(probe.auditEvents({ event: "webhook_endpoint_disabled" })).toHaveLength(1);
    const notice = await mail.waitFor((m) => m.to.includes(ADMIN.toLowerCase()) && /webhook endpoint .* disabled/.test(m.subject));
    expect(notice.subject).toContain(id);
    await settle();
    const count = receiver.at("/down").length;
    expect((await app.cli(["user", "unlock", U.down])).code).toBe(0);
    await settle();
    expect(receiver.at("/down")).toHaveLength(count);
    // A day later the admin signs in again (the console session has ended meanwhile).
    const again = await staff.signIn(admin);
    const html = await (await again.c.get("/support/webhooks")).text();
    expect(html).toMatch(/data-cell="status">disabled</);
  });
});
