import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addAccounts, RELAXED_LIMITS, startApp, type TestApp } from "../helpers/app";
import { customers, pathOf, reportLinkIn } from "../helpers/customer";
import type { Client } from "../helpers/http";
import { probesAt } from "../helpers/probes";
import { testDatabaseUrl, testEngine } from "../helpers/postgres";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { totpAt } from "../helpers/totp";
import { addPasskey, SoftPasskey } from "../helpers/webauthn";

/**
 * Races on PostgreSQL: two app nodes on one database, many requests put into them at the same
 * moment (headers first, then every body at once), so each node runs its handlers concurrently
 * on its own pool of connections. Single-use things must be spent by one conditional UPDATE …
 * RETURNING (one winner, whatever the interleaving), and the audit chain must not fork when
 * several processes append at once.
 *
 * PostgreSQL only: on SQLite every write of a process queues on its one connection and other
 * processes wait for the file's write lock, so these interleavings cannot happen there (the
 * SQLite variants of the same guarantees are in security-access, security-audit and
 * redis-store). Runs in the integration-pg project, on the run's cluster.
 */

const PASSWORD = "granite willow ferry compass";
const PARALLEL = 50;
const email = (u: string) => `${u}@example.test`;

/** A form POST whose headers go now and whose body goes on `sendBody()`; resolves with status and Location. */
function staged(origin: string, path: string, form: Record<string, string>, c: Client) {
  const url = new URL(origin);
  const body = new URLSearchParams(form).toString();
  const socket = net.connect(Number(url.port), "127.0.0.1");
  let raw = "";
  socket.on("data", (d) => (raw += d));
  const done = new Promise<{ status: number; location: string | null }>((resolve, reject) => {
    socket.on("end", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), location: /\r\nlocation: ([^\r\n]*)/i.exec(raw)?.[1] ?? null }));
    socket.on("error", reject);
  });
  const ready = new Promise<void>((resolve) => socket.on("connect", () => resolve()));
  const headers = {
    Host: url.host,
    Origin: origin,
    "Content-Type": "application/x-www-form-urlencoded",
    "Content-Length": String(Buffer.byteLength(body)),
    "X-Forwarded-For": c.defaults["x-forwarded-for"] ?? "127.0.0.1",
    Cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    Connection: "close",
  };
  return {
    async sendHeaders() {
      await ready;
      socket.write([`POST ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n"));
    },
    sendBody: () => (socket.write(body), done),
  };
}

/** Puts every request into the portals at the same moment; returns their answers in order. */
async function allAtOnce(requests: ReturnType<typeof staged>[]) {
  await Promise.all(requests.map((r) => r.sendHeaders()));
  await new Promise((r) => setTimeout(r, 100));
  return Promise.all(requests.map((r) => r.sendBody()));
}

describe.runIf(testEngine() === "postgres")("races on PostgreSQL, two nodes on one database", () => {
  const nodes: TestApp[] = [];
  let mail: SmtpSink | undefined;
  let databaseUrl = "";
  const customer = customers(() => ({ app: nodes[0]!, mail }), { ip: "10.81" });
  const probe = () => probesAt(databaseUrl);
  /** Node i's origin for the i-th of many requests: half go to each node. */
  const originFor = (i: number) => nodes[i % 2]!.origin;

  beforeAll(async () => {
    [mail, databaseUrl] = await Promise.all([startSmtpSink(), testDatabaseUrl()]);
    const env = { ...RELAXED_LIMITS, DATABASE_URL: databaseUrl, SESSION_IDLE_MINUTES: "1440", LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: "1000" };
    nodes.push(await startApp({ smtpUrl: mail.url, env }));
    nodes.push(await startApp({ smtpUrl: mail.url, env }));
    await addAccounts(nodes[0]!, [{ username: "racelink" }, { username: "racecode", password: PASSWORD }, { username: "raceaudit1" }, { username: "raceaudit2" }, { username: "racereport" }, { username: "racetotp", password: PASSWORD }]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await mail?.close();
    probesAt(databaseUrl).close();
  });

  test(`${PARALLEL} parallel completions of one reset link: exactly one new password`, async () => {
    const { link } = await customer.requestResetMail("racelink", email("racelink"));
    // Fifty browsers open the link and press Continue: each holds the verified reset.
    const browsers = await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        const r = await customer.continueLink(link);
        expect(r.location).toBe("/reset/password");
        return r.c;
      }),
    );
    const userId = probe().userRow("racelink")!.id;
    const passwords = browsers.map((_, i) => `${PASSWORD} number ${i}`);
    const answers = await allAtOnce(browsers.map((c, i) => staged(originFor(i), "/reset/password", { password: passwords[i]!, confirm: passwords[i]! }, c)));
    const winners = answers.flatMap((a, i) => (a.status === 303 && a.location === "/reset/done" ? [i] : []));
    expect(winners, JSON.stringify(answers)).toHaveLength(1);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    // One password was stored, once; it signs in and no other does.
    expect(probe().auditEvents({ event: "password_reset_completed", userId }).length).toBe(1);
    await customer.signedIn("racelink", passwords[winners[0]!]!);
    expect((await customer.signIn("racelink", passwords[(winners[0]! + 1) % PARALLEL]!)).status).toBe(400);
  }, 120_000);

  test(`${PARALLEL} parallel uses of one recovery code: one success`, async () => {
    // A passkey, so the account has a second step and recovery codes.
    const c = await customer.signedIn("racecode", PASSWORD);
    const key = new SoftPasskey(nodes[0]!.origin);
    expect((await addPasskey(c, c, key)).json).toMatchObject({ ok: true });
    const { codes } = await customer.createRecoveryCodes(c);
    expect(codes).toHaveLength(10);
    const code = codes![0]!;
    // Fifty browsers pass the password step and wait at the second.
    const browsers = await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        const r = await customer.signIn("racecode", PASSWORD);
        expect(r.location).toBe("/login/verify");
        return r.c;
      }),
    );
    const answers = await allAtOnce(browsers.map((b, i) => staged(originFor(i), "/login/verify", { intent: "recovery", value: code }, b)));
    // The winner is signed in (sent on to its account, told how many codes are left).
    const winners = answers.filter((a) => a.status === 303 && a.location?.startsWith("/account"));
    expect(winners, JSON.stringify(answers)).toHaveLength(1);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const rows = probe().recoveryCodesOf(probe().userRow("racecode")!.id);
    expect(rows.filter((r) => r.used_at !== null)).toHaveLength(1);
  }, 120_000);

  test(`${PARALLEL} parallel uses of one "This wasn't me" link: one report, one lock, one ticket`, async () => {
    const notice = await customer.resetPassword("racereport", email("racereport"), `${PASSWORD} reported`);
    const link = reportLinkIn(notice.text);
    const userId = probe().userRow("racereport")!.id;
    const answers = await allAtOnce(Array.from({ length: PARALLEL }, (_, i) => staged(originFor(i), pathOf(link), {}, customer.client())));
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(probe().ticketsOf(userId, "report")).toHaveLength(1);
    expect(probe().locksOf(userId).filter((l) => l.reason === "reported_compromise")).toHaveLength(1);
  }, 120_000);

  test(`${PARALLEL} parallel second steps with one authenticator code: one sign-in`, async () => {
    const c = await customer.signedIn("racetotp", PASSWORD);
    const secret = await customer.enrolTotp(c);
    const browsers = await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        const r = await customer.signIn("racetotp", PASSWORD);
        expect(r.location).toBe("/login/verify");
        return r.c;
      }),
    );
    // A step the enrolment did not use, on both nodes' clocks (each test portal has its own).
    for (const n of nodes) await n.advanceClock(30_000);
    const code = await totpAt(nodes[0]!, secret);
    const answers = await allAtOnce(browsers.map((b, i) => staged(originFor(i), "/login/verify", { intent: "totp", value: code }, b)));
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(answers.filter((a) => a.status === 303 && a.location === "/account"), JSON.stringify(answers)).toHaveLength(1);
  }, 120_000);

  test("two nodes and two CLI processes appending audit events at once: no fork, audit verify intact", async () => {
    const before = probe().auditCount();
    // Failed sign-ins for unknown names are audited; 60 on each node, all at once, while two
    // operator commands append from their own processes.
    const signIns = Array.from({ length: 120 }, (_, i) => staged(originFor(i), "/login", { identifier: `nobody${i}race`, password: `not it ${i} at all` }, customer.client()));
    await Promise.all(signIns.map((r) => r.sendHeaders()));
    const cli = Promise.all([nodes[0]!.cli(["user", "disable", "raceaudit1"]), nodes[1]!.cli(["user", "disable", "raceaudit2"])]);
    const answers = await Promise.all(signIns.map((r) => r.sendBody()));
    for (const r of await cli) expect(r.code, r.stderr).toBe(0);
    expect(answers.map((a) => a.status).filter((s) => s !== 400)).toEqual([]);

    const after = probe().auditCount();
    expect(after - before).toBeGreaterThanOrEqual(122);
    expect(probe().auditChainForks()).toEqual([]);
    const verify = await nodes[1]!.cli(["audit", "verify"]);
    expect(verify.stderr).toBe("");
    expect(verify.stdout.trim()).toBe(`audit chain intact: ${after} events`);
  }, 120_000);
});
