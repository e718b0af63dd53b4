import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { RELAXED_LIMITS, ROOT } from "../helpers/app";
import { pathOf, sleep } from "../helpers/customer";
import { linkIn, type CaughtMail } from "../helpers/smtp-sink";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { randomToken } from "~/security/crypto.server";

/**
 * Reset links (SECURITY.md §B TOK-01..12): random, hashed at rest, bound to one account and
 * purpose, single-use, short-lived, scanner-safe, swapped for a reset-only cookie on Continue.
 *
 * The portal trusts X-Forwarded-For from loopback and every client gets its own address, so the
 * per-IP limits only trip in TOK-09, which is about them. Per-identifier and per-destination limits
 * are raised because TOK-01 asks for many links for one account.
 */

const OLD_PASSWORD = "granite willow ferry compass";
const seen = { tokens: new Set<string>(), codes: new Set<string>(), passwords: new Set<string>([OLD_PASSWORD]) };


const USERS = ["tok1", "tok2", "tok3a", "tok3u", "tok4a", "tok4p", "tok5", "tok6", "tok7", "tok8", "tok9", "tok10", "tok11", "tok12"];
const email = (u: string) => `${u}@example.test`;
const { app, mail, probe, customer: people } = usePortal({ clients: { ip: "10.2" }, env: { ...RELAXED_LIMITS }, accounts: [...USERS.map((username) => ({ username })), { username: "tok3v", password: OLD_PASSWORD }] });
const { client, nextIp } = people;

// ---- helpers --------------------------------------------------------------------------------

const tokenOf = (link: string) => link.slice(link.lastIndexOf("/") + 1);

/** Asks for a reset as `username` from a fresh client and returns what the email carried. */
async function requestReset(username: string, c = client()): Promise<{ c: Client; link: string; token: string; code: string; mail: CaughtMail }> {
  const r = await people.requestResetMail(username, email(username), c);
  seen.tokens.add(tokenOf(r.link));
  seen.codes.add(r.code);
  return { ...r, token: tokenOf(r.link) };
}

/** Presses Continue on the landing page from a fresh browser; returns that browser. */
async function continueFrom(link: string, c = client()): Promise<{ c: Client; res: Response }> {
  const res = await c.post(pathOf(link), {});
  return { c, res };
}

async function setPassword(c: Client, password: string, extra: Record<string, string> = {}) {
  seen.passwords.add(password);
  return c.post("/reset/password", { password, confirm: password, ...extra });
}

const signIn = async (identifier: string, password: string) => (await people.signIn(identifier, password)).status;

const userRow = (username: string) => probe.userRow(username)!;
const latestFlow = (username: string, purpose = "reset") => probe.flowOf(username, purpose)!;

function rawRequest(options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: app.port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const sha256hex = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

// ---- TOK ------------------------------------------------------------------------------------

describe("TOK: reset links", () => {
  test("TOK-01 tokens are unique, 43 base64url characters, 32 random bytes", async () => {
    const N = 12;
    for (let i = 0; i < N; i++) expect((await client().post("/forgot-password", { identifier: "tok1" })).status).toBe(303);
    await people.nthMail(email("tok1"), /./, N - 1);
    const tokens = mail.to(email("tok1")).map((m) => tokenOf(linkIn(m, "/reset/")));
    expect(tokens).toHaveLength(N);
    for (const t of tokens) seen.tokens.add(t);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t, "base64url")).toHaveLength(32);
    }
    // The generator itself, at volume.
    const many = Array.from({ length: 1000 }, () => randomToken());
    expect(new Set(many).size).toBe(1000);
    for (const t of many) expect(Buffer.from(t, "base64url")).toHaveLength(32);
    // Static: no weak randomness where secrets are made.
    for (const file of ["app/security/crypto.server.ts", "app/recovery/flows.server.ts"]) {
      const source = fs.readFileSync(path.join(ROOT, file), "utf8");
      expect(source, file).not.toMatch(/Math\.random|randomUUID/);
    }
  });

  test("TOK-02 only sha256(token) is stored; the code is not stored raw; the queued payload is erased once sent", async () => {
    const r = await requestReset("tok2");
    const flow = latestFlow("tok2");
    expect(flow.link_token_hash).toBe(sha256hex(r.token));
    expect(flow.code_hash).not.toBe(r.code);
    expect(flow.code_hash).not.toBe(sha256hex(r.code));
    // The outbox row that carried the link and code keeps neither once delivered.
    const deadline = Date.now() + 5000;
    let row: { status: string; payload: string | null } | undefined;
    while (Date.now() < deadline) {
      row = probe.latestOutboxOf(email("tok2"));
      if (row?.status === "sent") break;
      await sleep(20);
    }
    expect(row?.status).toBe("sent");
    expect(row?.payload).toBeNull();
    // No column of any table holds the raw token or the code.
    const codeRe = new RegExp(`(?<![0-9A-Za-z])${r.code}(?![0-9A-Za-z])`);
    for (const { table: name, row: rowData } of probe.everyRow()) {
      for (const [col, value] of Object.entries(rowData)) {
        const text = Buffer.isBuffer(value) ? value.toString("latin1") : String(value);
        expect(text.includes(r.token), `${name}.${col} holds the token`).toBe(false);
        expect(codeRe.test(text), `${name}.${col} holds the code`).toBe(false);
      }
    }
  });

  test("TOK-03 a token is bound to its purpose and its account; client-sent account fields are ignored", async () => {
    // A reset token is no unlock token...
    const reset = await requestReset("tok3a");
    const asUnlock = `/unlock/${reset.token}`;
    expect((await client().get(asUnlock)).status).toBe(404);
    expect((await client().post(asUnlock, {})).status).toBe(404);
    // ...and an unlock token is no reset token.
    const unlockLink = (await people.requestUnlockMail("tok3u", email("tok3u"))).link;
    const unlockToken = tokenOf(unlockLink);
    seen.tokens.add(unlockToken);
    expect((await client().get(`/reset/${unlockToken}`)).status).toBe(404);
    expect((await client().post(`/reset/${unlockToken}`, {})).status).toBe(404);
    expect((await client().get(pathOf(unlockLink))).status).toBe(200);

    // The attacker's own verified reset, with the victim's identity in every field we can think of.
    const victim = userRow("tok3v");
    const attacker = userRow("tok3a");
    expect((await client().get(pathOf(reset.link))).status).toBe(200);
    const { c, res } = await continueFrom(reset.link);
    expect(res.status).toBe(303);
    const newPassword = "attacker quartz meadow lynx";
    const done = await setPassword(c, newPassword, {
      username: "tok3v",
      identifier: "tok3v",
      email: email("tok3v"),
      userId: victim.id,
      user_id: victim.id,
      uid: victim.id,
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/reset/done");
    expect(userRow("tok3v").password_hash).toBe(victim.password_hash);
    expect(userRow("tok3a").password_hash).not.toBe(attacker.password_hash);
    expect(await signIn("tok3v", OLD_PASSWORD)).toBe(302);
    expect(await signIn("tok3v", newPassword)).toBe(400);
    expect(await signIn("tok3a", newPassword)).toBe(302);
  });

  test("TOK-04 a link is single-use: reuse gets 410, and of two parallel resets exactly one wins", async () => {
    const r = await requestReset("tok4a");
    const { c } = await continueFrom(r.link);
    expect((await setPassword(c, "first reset harbour vine")).status).toBe(303);
    const again = await client().get(pathOf(r.link));
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("This link was already used");
    expect((await client().post(pathOf(r.link), {})).status).toBe(410);

    // Two browsers verified by the same link race to set a password.
    const p = await requestReset("tok4p");
    const one = await continueFrom(p.link);
    const two = await continueFrom(p.link);
    expect(one.res.status).toBe(303);
    expect(two.res.status).toBe(303);
    const passwords = ["parallel one cobalt fern", "parallel two amber reed"];
    const results = await Promise.all([setPassword(one.c, passwords[0]), setPassword(two.c, passwords[1])]);
    const statuses = results.map((x) => x.status);
    const winners = results.filter((x) => x.status === 303 && x.headers.get("location") === "/reset/done");
    expect(winners, `statuses ${statuses}`).toHaveLength(1);
    const loser = results.find((x) => x !== winners[0])!;
    expect([403, 409]).toContain(loser.status);
    const winnerPassword = passwords[results.indexOf(winners[0])];
    const loserPassword = passwords[results.indexOf(loser)];
    expect(await signIn("tok4p", winnerPassword)).toBe(302);
    expect(await signIn("tok4p", loserPassword)).toBe(400);
    const flow = latestFlow("tok4p");
    expect(flow.status).toBe("consumed");
    const changed = probe.auditEvents({ event: "password_reset_completed", userId: userRow("tok4p").id });
    expect(changed).toHaveLength(1);
  });

  test("TOK-05 the link is accepted at TTL-1s and rejected at TTL+1s", async () => {
    const ttlMs = 30 * 60_000;
    const r = await requestReset("tok5");
    await app.advanceClock(ttlMs - 1000);
    expect((await client().get(pathOf(r.link))).status).toBe(200);
    const early = await continueFrom(r.link);
    expect(early.res.status).toBe(303);
    await app.advanceClock(2000);
    const late = await client().get(pathOf(r.link));
    expect(late.status).toBe(410);
    expect(await late.text()).toContain("This link has expired");
    expect((await continueFrom(r.link)).res.status).toBe(410);
    // The browser that pressed Continue just in time cannot finish after expiry either.
    expect((await setPassword(early.c, "too late willow anchor")).status).toBe(403);
    expect(latestFlow("tok5").status).toBe("active");
  });

  test("TOK-06 a new request from the same browser replaces its old link and code; finishing a reset kills every older code", async () => {
    const a = await requestReset("tok6");
    // The same browser asks again (a stranger's request cannot cancel it: M4, L14 in security-access.test.ts).
    const b = await requestReset("tok6", a.c);
    const oldLink = await client().get(pathOf(a.link));
    expect(oldLink.status).toBe(410);
    expect((await continueFrom(a.link)).res.status).toBe(410);
    const oldCode = await a.c.post("/forgot-password/code", { intent: "verify", code: a.code });
    expect(oldCode.headers.get("location")).not.toBe("/reset/password");
    expect(oldCode.status).not.toBe(303);

    // Finish with B's link in a third browser; B's own (unused) code is dead afterwards.
    const { c } = await continueFrom(b.link);
    expect((await setPassword(c, "newest link saffron kite")).status).toBe(303);
    const codeAfter = await b.c.post("/forgot-password/code", { intent: "verify", code: b.code });
    expect(codeAfter.headers.get("location")).not.toBe("/reset/password");
    expect(codeAfter.status).not.toBe(303);
    expect((await client().get(pathOf(b.link))).status).toBe(410);
  });

  test("TOK-07 links use APP_ORIGIN whatever the forwarded headers say; a foreign Host gets 421 and nothing is sent", async () => {
    const c = client();
    const before = mail.to(email("tok7")).length;
    const res = await c.post(
      "/forgot-password",
      { identifier: "tok7" },
      { "x-forwarded-host": "evil.test", "x-forwarded-proto": "https", forwarded: "for=10.9.9.9;host=evil.test;proto=https", "x-original-host": "evil.test" },
    );
    expect(res.status).toBe(303);
    const m = await people.nthMail(email("tok7"), /./, before);
    const link = linkIn(m, "/reset/");
    seen.tokens.add(tokenOf(link));
    expect(new URL(link).origin).toBe(app.origin);
    expect(m.text + m.html).not.toContain("evil.test");

    const flowsBefore = probe.flowCount();
    const mailsBefore = mail.messages.length;
    const body = new URLSearchParams({ identifier: "tok7" }).toString();
    const foreign = await rawRequest({
      method: "POST",
      path: "/forgot-password",
      headers: {
        host: "evil.test",
        origin: "http://evil.test",
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(Buffer.byteLength(body)),
        "x-forwarded-for": nextIp(),
      },
      body,
    });
    expect(foreign.status).toBe(421);
    expect(foreign.body).not.toContain("evil.test");
    // Also with the portal's own Origin, only the Host being foreign.
    const foreign2 = await rawRequest({
      method: "POST",
      path: "/forgot-password",
      headers: { host: `evil.test:${app.port}`, origin: app.origin, "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(body)) },
      body,
    });
    expect(foreign2.status).toBe(421);
    await sleep(500);
    expect(mail.messages.length).toBe(mailsBefore);
    expect(probe.flowCount()).toBe(flowsBefore);
  });

  test("TOK-08 the landing page sends Referrer-Policy: no-referrer and loads nothing from elsewhere", async () => {
    const r = await requestReset("tok8");
    const res = await client().get(pathOf(r.link));
    expect(res.status).toBe(200);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    expect(html).toContain('<meta name="referrer" content="no-referrer"/>');
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u, u).toMatch(/^\/(?!\/)|^#/);
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
  });

  test("TOK-09 guessing tokens from one client is throttled; a real link from another client still works", async () => {
    const r = await requestReset("tok9");
    const guesser = client("10.66.0.1");
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await guesser.get(`/reset/${randomToken()}`);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // Even a valid token is refused to the guesser while throttled...
    expect((await guesser.get(pathOf(r.link))).status).toBe(429);
    // ...but the customer on another address is unaffected.
    const customer = client("10.66.0.2");
    expect((await customer.get(pathOf(r.link))).status).toBe(200);
    const { res } = await continueFrom(r.link, customer);
    expect(res.status).toBe(303);
    expect((await setPassword(customer, "fresh client tundra gale")).status).toBe(303);
  });

  test("TOK-10 scanners (GET, HEAD, cookie-less POST) cannot use up the link", async () => {
    const r = await requestReset("tok10");
    const before = latestFlow("tok10");
    for (let i = 0; i < 3; i++) expect((await client().get(pathOf(r.link))).status).toBe(200);
    const head = await fetch(r.link, { method: "HEAD", redirect: "manual", headers: { "x-forwarded-for": nextIp() } });
    expect(head.status).toBe(200);
    const scanner = await fetch(r.link, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": nextIp() },
      body: "",
    });
    expect([303, 403]).toContain(scanner.status);
    const after = latestFlow("tok10");
    expect(after.status).toBe("active");
    expect(after.consumed_at).toBeNull();
    expect(after.link_token_hash).toBe(before.link_token_hash);
    // The real customer still completes.
    const { c, res } = await continueFrom(r.link);
    expect(res.status).toBe(303);
    const password = "customer wins heron slate";
    expect((await setPassword(c, password)).status).toBe(303);
    expect(await signIn("tok10", password)).toBe(302);
  });

  test("TOK-11 Continue swaps the token for an HttpOnly SameSite=Strict cookie and a URL without the token", async () => {
    const r = await requestReset("tok11");
    const { c, res } = await continueFrom(r.link);
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toBe("/reset/password");
    expect(location).not.toContain(r.token);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const [pair, ...attrs] = cookies[0].split(";").map((s) => s.trim());
    expect(pair).toMatch(/^recovery=[a-z2-7]{24}\.[a-z2-7]{24}$/);
    expect(pair).not.toContain(r.token);
    expect(attrs).toContain("HttpOnly");
    expect(attrs).toContain("SameSite=Strict");
    expect(attrs).toContain("Path=/");
    expect(attrs.some((a) => /^domain=/i.test(a))).toBe(false);
    const maxAge = Number(attrs.find((a) => a.startsWith("Max-Age="))?.slice(8));
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(10 * 60); // reset-only session: short
    const page = await c.get("/reset/password");
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(r.token);
  });

  test("TOK-12 the reset-only cookie can only set a password, and only once verified", async () => {
    // No cookie at all.
    expect((await client().get("/reset/password")).status).toBe(403);
    expect((await client().post("/reset/password", { password: "no cookie at all fjord", confirm: "no cookie at all fjord" })).status).toBe(403);
    // A pending (unverified) hold on the very flow that another browser verifies.
    const r = await requestReset("tok12");
    const { c: verified } = await continueFrom(r.link);
    const pending = r.c;
    expect((await pending.get("/reset/password")).status).toBe(403);
    const skip = await pending.post("/reset/password", { password: "skipping ahead cedar dune", confirm: "skipping ahead cedar dune" });
    expect(skip.status).toBe(403);
    // The verified hold is not a sign-in.
    const account = await verified.get("/account");
    expect(account.status).toBe(302);
    expect(account.headers.get("location")).toBe("/login");
    expect((await verified.get("/reset/password")).status).toBe(200);
    expect(latestFlow("tok12").status).toBe("active");
  });

  test("LOG-02 no token, code or password appears in the logs", () => {
    const logs = app.logs();
    expect(seen.tokens.size).toBeGreaterThan(12);
    for (const t of seen.tokens) {
      expect(logs.includes(t), "token in logs").toBe(false);
      expect(logs.includes(t.slice(0, 20)), "token prefix in logs").toBe(false);
    }
    for (const code of seen.codes) expect(new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`).test(logs), `code ${code} in logs`).toBe(false);
    for (const p of seen.passwords) expect(logs.includes(p), "password in logs").toBe(false);
    expect(logs).toContain("/reset/[redacted]");
  });
});
