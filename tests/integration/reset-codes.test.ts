import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test, vi } from "vitest";
import { RELAXED_LIMITS, ROOT } from "../helpers/app";
import { codeIn, linkIn, type CaughtMail } from "../helpers/smtp-sink";
import { decodeHtml, type Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { randomDigits } from "~/security/crypto.server";

/**
 * The code path and the new-password step (SECURITY.md §C OTP-01..06, §D PWD, §G SES-01/02,
 * §H NTF-01, §K LOG-01/02): codes are random, hashed, single-use, short-lived and capped; the reset
 * page applies the password policy; completing a reset signs nobody in, ends every session and
 * tells the customer.
 */

const OLD_PASSWORD = "granite willow ferry compass";
const seen = { tokens: new Set<string>(), codes: new Set<string>(), passwords: new Set<string>([OLD_PASSWORD]) };


const IMPORTED = [
  "otp2", "otp3a", "otp3b", "otp4", "otp5", "otp5cap", "otp6",
  "pwd1", "pwd2", "pwd3", "pwd4", "pwd5", "pwd9", "pwd10a", "pwd10b", "pwd11",
  "ses1", "ntf1", "log1",
];
const email = (u: string) => `${u}@example.test`;
const { app, mail, probe, customer: people } = usePortal({
  clients: { ip: "10.3", headers: { "user-agent": "reset-codes-test/1.0" } },
  env: { ...RELAXED_LIMITS },
  accounts: [...IMPORTED.map((username) => ({ username })), ...["ses2", "pwdhist"].map((username) => ({ username, password: OLD_PASSWORD }))],
});
const { client } = people;

// ---- helpers --------------------------------------------------------------------------------

type Requested = { c: Client; code: string; link: string; mail: CaughtMail };

const requestReset = async (username: string, c = client()): Promise<Requested> => remember(c, (await people.requestResetMail(username, email(username), c)).mail);

function remember(c: Client, m: CaughtMail): Requested {
  const code = codeIn(m);
  const link = linkIn(m, "/reset/");
  seen.codes.add(code);
  seen.tokens.add(link.slice(link.lastIndexOf("/") + 1));
  return { c, code, link, mail: m };
}

const verify = (c: Client, code: string) => c.post("/forgot-password/code", { intent: "verify", code });
const resend = (c: Client) => c.post("/forgot-password/code", { intent: "resend" });
const wrongCode = (code: string, k = 1) => String((Number(code) + k) % 1_000_000).padStart(6, "0");

/** A browser that asked for a reset and typed the right code: it may now set a password. */
async function verified(username: string): Promise<Client> {
  const r = await requestReset(username);
  const res = await verify(r.c, r.code);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/reset/password");
  return r.c;
}

async function setPassword(c: Client, password: string, confirm = password): Promise<{ status: number; location: string | null; text: string; res: Response }> {
  seen.passwords.add(password);
  const res = await c.post("/reset/password", { password, confirm });
  return { status: res.status, location: res.headers.get("location"), text: decodeHtml(await res.text()), res };
}

async function expectAccepted(c: Client, password: string) {
  const r = await setPassword(c, password);
  expect(r.status, r.text.slice(0, 2000)).toBe(303);
  expect(r.location).toBe("/reset/done");
  return r;
}

const signIn = async (identifier: string, password: string) => (await people.signIn(identifier, password)).status;

const flowOf = (username: string) => probe.flowOf(username, "reset")!;
const userId = probe.userId;

// ---- OTP ------------------------------------------------------------------------------------

describe("OTP: codes", () => {
  test("OTP-01 codes are 6 digits from crypto.randomInt, leading zeros kept, digits uniform", () => {
    const spy = vi.spyOn(crypto, "randomInt");
    try {
      expect(randomDigits(6)).toMatch(/^\d{6}$/);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    const source = fs.readFileSync(path.join(ROOT, "app/security/crypto.server.ts"), "utf8");
    expect(source).toMatch(/crypto\.randomInt\(/);
    expect(source).not.toMatch(/Math\.random/);

    const N = 10_000;
    const counts = Array(10).fill(0) as number[];
    let leadingZero = 0;
    for (let i = 0; i < N; i++) {
      const code = randomDigits(6);
      expect(code).toMatch(/^\d{6}$/);
      if (code[0] === "0") leadingZero++;
      for (const d of code) counts[Number(d)]++;
    }
    const expected = (N * 6) / 10;
    const chi2 = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: p = 0.001 at 27.9; 40 keeps this from ever flaking while catching bias.
    expect(chi2, JSON.stringify(counts)).toBeLessThan(40);
    expect(leadingZero).toBeGreaterThan(N * 0.07);
    expect(leadingZero).toBeLessThan(N * 0.13);
  });

  test("OTP-02 the stored code is neither the code nor its plain hash, and no table holds it", async () => {
    const r = await requestReset("otp2");
    const flow = flowOf("otp2");
    expect(r.code).toMatch(/^\d{6}$/);
    expect(flow.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(flow.code_hash).not.toBe(r.code);
    expect(flow.code_hash).not.toBe(crypto.createHash("sha256").update(r.code).digest("hex"));
    const codeRe = new RegExp(`(?<![0-9A-Za-z])${r.code}(?![0-9A-Za-z])`);
    // Wait for the delivered outbox row to drop its payload, then look everywhere.
    for (let i = 0; i < 100; i++) {
      const row = probe.latestOutboxOf(email("otp2"))!;
      if (row.status === "sent") break;
      await new Promise((res) => setTimeout(res, 20));
    }
    for (const { table: name, row } of probe.everyRow()) {
      for (const [col, value] of Object.entries(row)) {
        const text = Buffer.isBuffer(value) ? value.toString("latin1") : String(value);
        expect(codeRe.test(text), `${name}.${col}`).toBe(false);
      }
    }
  });

  test("OTP-03 a code works once, and only in the flow it was issued for", async () => {
    const a = await requestReset("otp3a");
    const b = await requestReset("otp3b");
    // A's code in B's browser.
    const cross = await verify(b.c, a.code);
    expect(cross.status).toBe(400);
    expect(decodeHtml(await cross.text())).toContain("That code isn't right");
    // A's code in A's browser, once.
    const first = await verify(a.c, a.code);
    expect(first.status).toBe(303);
    const again = await verify(a.c, a.code);
    expect(again.status).not.toBe(303);
    // A fresh browser with A's code has no flow at all.
    const stranger = await verify(client(), a.code);
    expect(stranger.headers.get("location")).toBe("/forgot-password");
    // B's own code still works after the cross attempt.
    expect((await verify(b.c, b.code)).status).toBe(303);
  });

  test("OTP-04 a code is rejected 10 minutes and 1 second after it was sent", async () => {
    const r = await requestReset("otp4");
    await app.advanceClock(10 * 60_000 + 1000);
    const res = await verify(r.c, r.code);
    expect(res.status).toBe(400);
    expect(decodeHtml(await res.text())).toContain("This code has expired");
    // The link lives longer than the code (30 minutes), so the email is still useful.
    expect((await client().get(new URL(r.link).pathname)).status).toBe(200);
  });

  test("OTP-05 five wrong tries kill a code; a resend keeps the failure count; the account cap blocks verification", async () => {
    const r = await requestReset("otp5");
    const texts: string[] = [];
    for (let k = 1; k <= 5; k++) {
      const res = await verify(r.c, wrongCode(r.code, k));
      expect(res.status).toBe(400);
      texts.push(decodeHtml(await res.text()));
    }
    expect(texts[0]).toContain("4 tries left");
    expect(texts[3]).toContain("1 try left");
    expect(texts[4]).toContain("Too many wrong codes");
    const right = await verify(r.c, r.code);
    expect(right.status).toBe(400);
    expect(decodeHtml(await right.text())).toContain("Too many wrong codes");
    expect(flowOf("otp5")).toMatchObject({ code_attempts: 5, failed_count: 5 });

    await app.advanceClock(61_000);
    const fresh = remember(r.c, await people.resendMail(r.c, email("otp5")));
    expect(flowOf("otp5")).toMatchObject({ code_attempts: 0, failed_count: 5 });
    expect((await verify(r.c, wrongCode(fresh.code))).status).toBe(400);
    expect(flowOf("otp5").failed_count).toBe(6);
    expect((await verify(r.c, fresh.code)).status).toBe(303);

    // Per-account cap (20 a day) across codes and resends.
    const cap = await requestReset("otp5cap");
    let code = cap.code;
    for (let round = 0; round < 4; round++) {
      for (let k = 1; k <= 5; k++) expect((await verify(cap.c, wrongCode(code, k))).status).toBe(400);
      await app.advanceClock(61_000);
      code = remember(cap.c, await people.resendMail(cap.c, email("otp5cap"))).code;
    }
    expect(flowOf("otp5cap").failed_count).toBe(20);
    // Past the cap even the right code is refused, with the answer a wrong code gets (M5).
    const blocked = await verify(cap.c, code);
    expect(blocked.status).toBe(400);
    expect(decodeHtml(await blocked.text())).toContain("That code isn't right. You have 4 tries left");
    // A brand-new request does not reset the account's budget.
    const again = await requestReset("otp5cap");
    expect((await verify(again.c, again.code)).status).toBe(400);
  });

  test("OTP-06 a resend replaces the code; resending within 60 s is refused with a wait message", async () => {
    const r = await requestReset("otp6");
    const early = await resend(r.c);
    expect(early.status).toBe(429);
    expect(decodeHtml(await early.text())).toMatch(/Please wait \d+ seconds before asking again/);
    await app.advanceClock(61_000);
    const fresh = remember(r.c, await people.resendMail(r.c, email("otp6")));
    if (fresh.code !== r.code) {
      const old = await verify(r.c, r.code);
      expect(old.status).toBe(400);
    }
    expect((await verify(r.c, fresh.code)).status).toBe(303);
    // The resent message came with a new link too; the old one no longer opens.
    expect(fresh.link).not.toBe(r.link);
  });
});

// ---- PWD ------------------------------------------------------------------------------------

describe("PWD: the new password, through the reset page", () => {
  test("PWD-01 14 characters are rejected with the reason; 15 are accepted", async () => {
    const c = await verified("pwd1");
    const short = await setPassword(c, "amber quill 3z");
    expect(short.status).toBe(400);
    expect(short.text).toContain("Use at least 15 characters (you have 14)");
    await expectAccepted(c, "amber quill 3zv");
    expect(await signIn("pwd1", "amber quill 3zv")).toBe(302);
  });

  test("PWD-02 length counts code points: 15 distinct emoji pass, 14 do not", async () => {
    const emoji = [..."😀😃😄😁😆😅😂🤣😊😇🙂🙃😉😌😍"];
    expect(emoji).toHaveLength(15);
    const c = await verified("pwd2");
    const fourteen = await setPassword(c, emoji.slice(0, 14).join(""));
    expect(fourteen.status).toBe(400);
    expect(fourteen.text).toContain("you have 14");
    const fifteen = emoji.join("");
    expect(fifteen.length).toBe(30); // UTF-16 units
    await expectAccepted(c, fifteen);
    expect(await signIn("pwd2", fifteen)).toBe(302);
  });

  test("PWD-03 a 128-character password works whole; its first 72 or 127 characters do not", async () => {
    const long = crypto.randomBytes(96).toString("base64url");
    expect(long).toHaveLength(128);
    const c = await verified("pwd3");
    await expectAccepted(c, long);
    expect(await signIn("pwd3", long)).toBe(302);
    expect(await signIn("pwd3", long.slice(0, 72))).toBe(400);
    expect(await signIn("pwd3", long.slice(0, 127))).toBe(400);
  });

  test("PWD-04 no composition rules: a lower-case Cyrillic passphrase with spaces is accepted", async () => {
    const c = await verified("pwd4");
    const password = "жёлтый кот прыгает высоко";
    await expectAccepted(c, password);
    expect(await signIn("pwd4", password)).toBe(302);
  });

  test("PWD-05 the username inside, and breached passwords, are rejected with a specific reason", async () => {
    const c = await verified("pwd5");
    const withName = await setPassword(c, "pwd5 granite willow harbour");
    expect(withName.status).toBe(400);
    expect(withName.text).toContain("Don't include your username, your email address or the name of this service.");
    const breached = await setPassword(c, "1qaz2wsx3edc4rfv");
    expect(breached.status).toBe(400);
    expect(breached.text).toContain("This is one of the most common passwords");
    // Rejections leave the verified hold usable.
    await expectAccepted(c, "violet canyon sparrow drum");
  });

  test("PWD-09 the password is typed twice; a mismatch is a field error", async () => {
    const c = await verified("pwd9");
    const r = await setPassword(c, "matching is hard ember", "matching is hard embers");
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/<p class="error" id="confirm-password-error">The two passwords don't match/);
    expect(r.text).toContain('aria-invalid="true"');
    await expectAccepted(c, "matching is easy ember");
  });

  test("PWD-10 the stored hash is Argon2id m=19456,t=2,p=1 and salted", async () => {
    const password = "same password twice cobalt";
    await expectAccepted(await verified("pwd10a"), password);
    await expectAccepted(await verified("pwd10b"), password);
    const hashOf = (u: string) => probe.userRow(u)!.password_hash!;
    const a = hashOf("pwd10a");
    const b = hashOf("pwd10b");
    expect(a.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    expect(b.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    expect(a).not.toBe(b);
    const salt = Buffer.from(a.split("$")[4], "base64");
    expect(salt.length).toBeGreaterThanOrEqual(4);
  });

  test("PWD-11 passwords are NFC-normalised: set café (U+00E9), sign in with cafe + U+0301", async () => {
    const nfc = "caf\u00e9 ferry lantern orbit";
    const nfd = "cafe\u0301 ferry lantern orbit";
    expect(nfc).not.toBe(nfd);
    await expectAccepted(await verified("pwd11"), nfc);
    expect(await signIn("pwd11", nfd)).toBe(302);
    expect(await signIn("pwd11", nfc)).toBe(302);
  });

  test("PWD history: the last 5 passwords are refused", async () => {
    const c = await verified("pwdhist");
    const current = await setPassword(c, OLD_PASSWORD);
    expect(current.status).toBe(400);
    expect(current.text).toContain("Choose a password you haven't used before");
    const p1 = "history first walnut glade";
    await expectAccepted(c, p1);
    const c2 = await verified("pwdhist");
    for (const old of [p1, OLD_PASSWORD]) {
      const r = await setPassword(c2, old);
      expect(r.status).toBe(400);
      expect(r.text).toContain("we remember your last 5");
    }
    await expectAccepted(c2, "history second maple creek");
  });
});

// ---- SES / NTF / LOG -------------------------------------------------------------------------

describe("after the reset", () => {
  test("SES-01 the password POST signs nobody in; the done page sends the customer to sign in", async () => {
    const c = await verified("ses1");
    const r = await expectAccepted(c, "no auto login quarry fox");
    const cookies = r.res.headers.getSetCookie();
    expect(cookies.some((x) => /^session=/.test(x) || /^__Host-session=/.test(x))).toBe(false);
    // Besides clearing the hold, only the done page's signed, short-lived cookie (issue 15: the
    // "make it easier next time" panel and the feedback token): HttpOnly, SameSite=Strict, no session.
    const doneCookies = cookies.filter((x) => /^recovery_done=/.test(x));
    expect(doneCookies).toHaveLength(1);
    expect(doneCookies[0]).toMatch(/^recovery_done=[A-Za-z0-9_-]+\.[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600$/);
    for (const x of cookies.filter((x) => !doneCookies.includes(x))) expect(x).toMatch(/^recovery=;.*Max-Age=0/);
    expect(cookies.filter((x) => /^recovery=;/.test(x))).toHaveLength(1);
    expect([...c.cookies.keys()]).not.toContain("session");
    const account = await c.get("/account");
    expect(account.status).toBe(302);
    expect(account.headers.get("location")).toBe("/login");
    const done = await c.get("/reset/done");
    expect(done.status).toBe(200);
    const html = decodeHtml(await done.text());
    expect(html).toMatch(/<main[^]*<a class="button"[^>]*href="\/login"[^>]*>Sign in<\/a>/);
  });

  test("SES-02 a signed-in session of the same user ends when the password is reset", async () => {
    const signedIn = client();
    expect((await signedIn.post("/login", { identifier: "ses2", password: OLD_PASSWORD })).status).toBe(302);
    expect((await signedIn.get("/account")).status).toBe(200);
    const sessions = () => probe.sessionsOf(userId("ses2"));
    expect(sessions()).toBe(1);
    await expectAccepted(await verified("ses2"), "sessions end now pebble");
    const after = await signedIn.get("/account");
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/login");
    expect(sessions()).toBe(0);
    expect(await signIn("ses2", OLD_PASSWORD)).toBe(400);
  });

  test("NTF-01 the password-changed email reaches the address with a report link and without the password", async () => {
    const password = "notify me please birch";
    await expectAccepted(await verified("ntf1"), password);
    const m = await mail.waitFor((x) => x.to.includes(email("ntf1")) && /password was changed/i.test(x.subject));
    // "This wasn't me": a report link on the portal's own origin, in both parts.
    const report = m.text.match(/This wasn't me\s+(https?:\/\/\S+)/)?.[1];
    expect(report, m.text).toBeDefined();
    expect(new URL(report!).origin).toBe(app.origin);
    expect(new URL(report!).pathname).not.toBe("/");
    expect(m.html).toContain(report!.replace(/&/g, "&amp;"));
    expect(m.text).toMatch(/was changed on .*\d{4}.*GMT/);
    expect(m.text).toContain("ntf1");
    expect(m.text).toMatch(/support@/);
    for (const part of [m.raw, m.text, m.html]) expect(part).not.toContain(password);
    await new Promise((r) => setTimeout(r, 300));
    expect(mail.to(email("ntf1")).filter((x) => /password was changed/i.test(x.subject))).toHaveLength(1);
  });

  test("LOG-01 request, code and completion are logged with time, account, ip, user agent and outcome", async () => {
    const ip = "10.3.250.77";
    const c = client(ip);
    const r = await requestReset("log1", c);
    expect((await verify(c, r.code)).status).toBe(303);
    await expectAccepted(c, "logged properly juniper");
    const id = userId("log1");
    const deadline = Date.now() + 5000;
    let lines: Record<string, unknown>[] = [];
    const wanted = ["password_reset_requested", "password_reset_code_verified", "password_reset_completed"];
    while (Date.now() < deadline) {
      lines = app
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.userId === id);
      if (wanted.every((e) => lines.some((l) => l.event === e))) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    for (const event of wanted) {
      const line = lines.find((l) => l.event === event);
      expect(line, event).toBeDefined();
      expect(line!.ip, event).toBe(ip);
      expect(line!.outcome, event).toMatch(/^(info|success)$/);
      expect(line!.userAgent, event).toBe("reset-codes-test/1.0");
      expect(String(line!.time), event).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    expect(lines.find((l) => l.event === "password_reset_completed")!.outcome).toBe("success");
  });

  test("OTP-02 LOG-02 EML-04 no code, token or password in the logs, and no password in any email", () => {
    const logs = app.logs();
    expect(seen.codes.size).toBeGreaterThan(10);
    for (const code of seen.codes) expect(new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`).test(logs), `code ${code} in logs`).toBe(false);
    for (const t of seen.tokens) expect(logs.includes(t.slice(0, 20)), "token in logs").toBe(false);
    for (const p of seen.passwords) expect(logs.includes(p), "password in logs").toBe(false);
    expect(mail.messages.length).toBeGreaterThan(10);
    for (const m of mail.messages) for (const p of seen.passwords) for (const part of [m.raw, m.text, m.html]) expect(part.includes(p), `password in "${m.subject}"`).toBe(false);
  });
});
