import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addAccounts, outboxSettled, startApp, type TestApp } from "../helpers/app";
import { sleep } from "../helpers/customer";
import { Client, everything, shape } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick, probes } from "../helpers/probes";
import { smsCode, startSmsReceiver, verifyWebhookSignature, type SmsReceiver } from "../helpers/sms-receiver";

/**
 * The SMS channel (DESIGN.md §5 webhook contract; SECURITY.md OTP-04, OTP-07, OTP-08, REQ-03):
 * reset and unlock by a texted code, the "Text me a code instead" switch, toll-fraud guards
 * (per-number limit, country allow-list, global hourly budget), webhook retries, and the Twilio
 * and console adapters. Every SMS is read from a real HTTP receiver, exactly as a provider gets it.
 */

const SECRET = "sms-webhook-secret-for-tests-0123456789";
const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "copper lantern meadow violin";
const TWILIO = { accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "twilio-test-token-abcdef", from: "+12025550100" };

let twilio: SmsReceiver; // Twilio fake
let twilioApp: TestApp; // SMS_PROVIDER=twilio, SMS_HOURLY_BUDGET=2
let consoleApp: TestApp; // SMS_PROVIDER=console, no SMTP_URL

const COMMON = { TRUST_PROXY: "loopback" };
// The main portal: SMS_PROVIDER=webhook.
const { app, mail, sms, probe } = usePortal({
  // Three wrong passwords lock an account, so the unlock test stays short.
  env: { ...COMMON, SMS_ALLOWED_COUNTRIES: "US", LOCKOUT_TEMPORARY_AFTER: "3" },
  sms: { secret: SECRET, path: "/sms" },
  accounts: [
    { username: "smsreset", phone: "+12025550171" },
    { username: "smsunlock", phone: "+12025550172", password: PASSWORD },
    { username: "smsexpire", phone: "+12025550173" },
    { username: "smsunverified", phone: "+12025550174", unverified: true },
    { username: "smsverified", phone: "+12025550175" },
    { username: "smstextme", phone: "+12025550176" },
    { username: "smsbomb", phone: "+12025550177" },
    { username: "smsretry", phone: "+12025550178" },
    { username: "smsus", phone: "+12025550179" },
    { username: "smsuk", phone: "+442079460018" },
  ],
});
const twilioProbe = probes(() => twilioApp);

let ipCounter = 0;
function client(target: TestApp = app): Client {
  ipCounter++;
  return new Client(target.origin, { "x-forwarded-for": `10.7.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}` });
}

async function requestByPhone(c: Client, path: "/forgot-password" | "/unlock", phone: string) {
  const res = await c.post(path, { identifier: phone });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(`${path}/code`);
  return res;
}

/** The value once `read` finds one, or undefined after 5 s. */
async function soon<T>(read: () => T | undefined): Promise<T | undefined> {
  for (const start = Date.now(); Date.now() - start < 5000; await new Promise((r) => setTimeout(r, 25))) {
    const value = read();
    if (value !== undefined) return value;
  }
  return read();
}

function logLines(target: TestApp): Record<string, unknown>[] {
  return target
    .logs()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function metric(target: TestApp, line: RegExp): Promise<number> {
  const text = await (await fetch(`${target.origin}/metrics`, { headers: { authorization: `Bearer ${target.env.METRICS_TOKEN}` } })).text();
  const found = text.split("\n").find((l) => line.test(l));
  return found ? Number(found.split(" ").pop()) : 0;
}

/** The Twilio app (SMS_PROVIDER=twilio, SMS_HOURLY_BUDGET=2) with its accounts. */
async function startTwilioApp() {
  twilioApp = await startApp({
    smtpUrl: mail.url,
    env: {
      ...COMMON,
      SMS_PROVIDER: "twilio",
      TWILIO_API_URL: twilio.url,
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_FROM: TWILIO.from,
      SMS_HOURLY_BUDGET: "2",
    },
  });
  await addAccounts(twilioApp, [
    { username: "twiliouser", phone: "+12025550191" },
    { username: "budget1", phone: "+12025550181" },
    { username: "budget2", phone: "+12025550182" },
    { username: "budget3", phone: "+12025550183" },
  ]);
}

/** The development app: no SMTP_URL and the default SMS_PROVIDER (console). */
async function startConsoleApp() {
  consoleApp = await startApp({ env: { ...COMMON } });
  await addAccounts(consoleApp, [{ username: "consoleuser", phone: "+12025550192" }]);
}

let twilioReady: Promise<void>;
let consoleReady: Promise<void>;

beforeAll(async () => {
  twilio = await startSmsReceiver({ twilio: TWILIO });
  // The other two portals boot one after the other in the background while the webhook tests
  // run (those mostly wait on I/O); their describe blocks wait for them. Errors surface there.
  twilioReady = startTwilioApp();
  consoleReady = twilioReady.catch(() => undefined).then(startConsoleApp);
  twilioReady.catch(() => undefined);
  consoleReady.catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([twilioReady, consoleReady]);
  await Promise.all([twilioApp?.stop(), consoleApp?.stop()]);
  await twilio?.close();
});

describe("reset and unlock by a texted code (webhook provider)", () => {
  test("reset end to end: '(202) 555-0171' → signed SMS → code → new password → sign in", async () => {
    const c = client();
    await requestByPhone(c, "/forgot-password", "(202) 555-0171");
    const page = await c.get("/forgot-password/code");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>Check your phone</h1>");
    expect(html).toContain("<title>Check your phone | Account recovery</title>");

    const text = await sms.waitFor((m) => m.to === "+12025550171");
    // The webhook contract: a JSON POST {"id","to","body"} signed over the raw body.
    const { request } = text;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/sms");
    expect(request.headers["content-type"]).toMatch(/^application\/json/);
    expect(request.headers["x-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, request.rawBody, request.headers["x-signature"])).toBe(true);
    expect(request.signatureValid).toBe(true);
    expect(verifyWebhookSignature("some-other-secret-123456", request.rawBody, request.headers["x-signature"])).toBe(false);
    expect(verifyWebhookSignature(SECRET, request.rawBody + " ", request.headers["x-signature"])).toBe(false);
    expect(Object.keys(JSON.parse(request.rawBody)).sort()).toEqual(["body", "id", "to"]);
    expect(text.body).toMatch(/reset code is \d{6}/);
    expect(text.body).toMatch(/10 minutes/);
    // An SMS carries the code, never the link token.
    expect(text.body).not.toMatch(/\/reset\//);
    const outboxRow = probe.outboxRow(text.id)!;
    expect(outboxRow.template).toBe("password-reset");

    const code = smsCode(text);
    const verified = await c.post("/forgot-password/code", { intent: "verify", code });
    expect(verified.status).toBe(303);
    expect(verified.headers.get("location")).toBe("/reset/password");
    expect((await c.get("/reset/password")).status).toBe(200);
    const set = await c.post("/reset/password", { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(set.status).toBe(303);
    expect(set.headers.get("location")).toBe("/reset/done");

    const browser = client();
    const login = await browser.post("/login", { identifier: "smsreset", password: NEW_PASSWORD });
    expect(login.status).toBe(302);
    expect(login.headers.get("location")).toBe("/account");
    const account = await browser.get("/account");
    expect(account.status).toBe(200);
    expect(await account.text()).toContain("smsreset");
  });

  test("unlock end to end: a locked account unlocks with the texted code", async () => {
    for (const wrong of ["wrong one 1", "wrong two 2", "wrong three 3"]) {
      expect((await client().post("/login", { identifier: "smsunlock", password: wrong })).status).toBe(400);
    }
    // Locked: even the right password is refused.
    expect((await client().post("/login", { identifier: "smsunlock", password: PASSWORD })).status).not.toBe(302);

    const c = client();
    await requestByPhone(c, "/unlock", "202-555-0172");
    const page = await c.get("/unlock/code");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>Check your phone</h1>");
    expect(html).toContain("<title>Check your phone | Account recovery</title>");
    const text = await sms.waitFor((m) => m.to === "+12025550172" && /unlock code/.test(m.body));
    expect(verifyWebhookSignature(SECRET, text.request.rawBody, text.request.headers["x-signature"])).toBe(true);

    const verified = await c.post("/unlock/code", { intent: "verify", code: smsCode(text) });
    expect(verified.status).toBe(303);
    expect(verified.headers.get("location")).toBe("/unlock/verified");
    const keep = await c.post("/unlock/verified", { intent: "keep" });
    expect(keep.status).toBe(303);
    expect(keep.headers.get("location")).toBe("/unlock/done");

    const login = await client().post("/login", { identifier: "smsunlock", password: PASSWORD });
    expect(login.status).toBe(302);
    expect(login.headers.get("location")).toBe("/account");
  });

  test("OTP-04 an SMS code is rejected at 10 min + 1 s", async () => {
    const c = client();
    await requestByPhone(c, "/forgot-password", "+1 202 555 0173");
    const text = await sms.waitFor((m) => m.to === "+12025550173");
    await app.advanceClock(10 * 60_000 + 1000);
    const late = await c.post("/forgot-password/code", { intent: "verify", code: smsCode(text) });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain("This code has expired");
    expect((await c.get("/reset/password")).status).toBe(403);
    const flow = probe.flowsOf(probe.userId("smsexpire")).at(-1)!;
    expect(flow.status).toBe("active"); // not completed: only a fresh code can go on
  });
});

describe("OTP-08 SMS only to a verified phone, with a safer alternative and a risk notice", () => {
  test("a phone added with --unverified gets no SMS, and the answer is identical to a verified one", async () => {
    const unverified = await shape(await requestByPhone(client(), "/forgot-password", "(202) 555-0174"));
    const verified = await shape(await requestByPhone(client(), "/forgot-password", "(202) 555-0175"));
    expect(unverified).toEqual(verified);

    // The same for the page that follows, and for the unlock form.
    const a = client();
    const b = client();
    await requestByPhone(a, "/forgot-password", "(202) 555-0174");
    await requestByPhone(b, "/forgot-password", "(202) 555-0175");
    expect(await shape(await a.get("/forgot-password/code"))).toEqual(await shape(await b.get("/forgot-password/code")));

    await sms.waitFor((m) => m.to === "+12025550175");
    await outboxSettled(app);
    expect(sms.to("+12025550174")).toHaveLength(0);
    expect(sms.to("+12025550175").length).toBeGreaterThanOrEqual(1);
    expect(probe.outboxOf("+12025550174")).toHaveLength(0);
  });

  test("the code page of an email request offers 'Text me a code instead' and warns about SMS risks", async () => {
    const c = client();
    const res = await c.post("/forgot-password", { identifier: "smsverified" });
    expect(res.status).toBe(303);
    const page = await c.get("/forgot-password/code");
    const html = await page.text();
    expect(html).toContain("<h1>Check your email</h1>");
    expect(html).toContain("<title>Check your email | Account recovery</title>");
    expect(html).toMatch(/<input type="hidden" name="intent" value="sms"\/?>/);
    expect(html).toContain("Text me a code instead");
    // The notice names the risk and the safer alternatives.
    expect(html).toMatch(/Text messages can be intercepted/);
    expect(html).toMatch(/SIM swap/);
    expect(html).toMatch(/email, a passkey or an authenticator app are safer/);
    // The phone code page itself offers no switch to SMS (there is nothing to switch to).
    const p = client();
    await requestByPhone(p, "/forgot-password", "(202) 555-0175");
    expect(await (await p.get("/forgot-password/code")).text()).not.toContain("Text me a code instead");
  });

  test("'Text me a code instead' on an account whose phone is unverified texts nobody and answers the same", async () => {
    const unv = client();
    const ver = client();
    await unv.post("/forgot-password", { identifier: "smsunverified" });
    await ver.post("/forgot-password", { identifier: "smstextme" });
    await app.advanceClock(61_000); // past the resend cool-down
    await outboxSettled(app);
    const before = sms.messages.length;
    const a = await shape(await unv.post("/forgot-password/code", { intent: "sms" }));
    const b = await shape(await ver.post("/forgot-password/code", { intent: "sms" }));
    expect(a).toEqual(b);
    expect(a.status).toBe(200);
    await sms.waitFor((m) => m.to === "+12025550176");
    await outboxSettled(app);
    expect(sms.messages.length).toBe(before + 1);
    expect(sms.to("+12025550174")).toHaveLength(0);
  });
});

describe("REQ-03 'Text me a code instead'", () => {
  test("texts the account's verified phone; the number and the code never come back over HTTP", async () => {
    const fragments = ["+12025550176", "2025550176", "5550176", "555-0176", "555 0176", "(202)", "***", "•••"];
    const c = client();
    const seen: string[] = [];
    seen.push(await everything(await c.post("/forgot-password", { identifier: "smstextme@example.test" })));
    seen.push(await everything(await c.get("/forgot-password/code")));
    await app.advanceClock(61_000);
    const already = sms.to("+12025550176").length;
    const switched = await c.post("/forgot-password/code", { intent: "sms", number: "+12025550199" });
    expect(switched.status).toBe(200);
    const switchedText = await switched.clone().text();
    expect(switchedText).toContain("If the account has a verified phone number, we've texted a new code to it");
    seen.push(await everything(switched));
    const text = await sms.waitFor((m) => m.to === "+12025550176" && sms.to("+12025550176").indexOf(m) >= already);
    // Only the verified phone is texted: a number slipped into the form is ignored.
    await outboxSettled(app);
    expect(sms.to("+12025550199")).toHaveLength(0);
    const code = smsCode(text);
    const verified = await c.post("/forgot-password/code", { intent: "verify", code });
    expect(verified.status).toBe(303);
    seen.push(await everything(verified));
    seen.push(await everything(await c.get("/reset/password")));

    for (const s of seen) {
      // Ignore CSP nonces and build-asset names: random or hashed strings that are not data.
      const clean = s.replace(/nonce="[^"]*"|'nonce-[^']*'/g, "").replace(/\/build\/[^"'\s]+/g, "");
      for (const f of fragments) expect(clean, `response contains ${f}`).not.toContain(f);
      expect(clean).not.toContain(code);
    }
  });
});

describe("OTP-07 and toll-fraud guards (silent to the customer, visible to operators)", () => {
  test("per-number limit: a 4th SMS within the hour is not sent; the answer does not change", async () => {
    const shapes = [];
    for (let i = 0; i < 4; i++) {
      shapes.push(await shape(await requestByPhone(client(), "/forgot-password", "(202) 555-0177")));
      if (i < 3) await sms.waitFor((m) => m.to === "+12025550177" && sms.to("+12025550177").length > i);
    }
    for (const s of shapes.slice(1)) expect(s).toEqual(shapes[0]);
    await outboxSettled(app);
    await sleep(200);
    expect(sms.to("+12025550177")).toHaveLength(3);
    expect(logLines(app).some((l) => l.msg === "SMS refused: per-number limit" && l.limit === "sms_per_number_hour")).toBe(true);
    expect(await metric(app, /^portal_throttled_total\{limit="sms_per_number_hour"\}/)).toBeGreaterThanOrEqual(1);
    // The customer can still switch to email: the account's email is untouched by the SMS limit.
    const c = client();
    await c.post("/forgot-password", { identifier: "smsbomb" });
    await mail.waitFor((m) => m.to.includes("smsbomb@example.test"));
  });

  test("allow-list: a +44 number with SMS_ALLOWED_COUNTRIES=US is not texted, the log says so", async () => {
    const uk = await shape(await requestByPhone(client(), "/forgot-password", "+44 20 7946 0018"));
    const us = await shape(await requestByPhone(client(), "/forgot-password", "(202) 555-0179"));
    expect(uk).toEqual(us);
    await outboxSettled(app);
    await sms.waitFor((m) => m.to === "+12025550179");
    expect(sms.to("+442079460018")).toHaveLength(0);
    expect(probe.outboxOf("+442079460018")).toHaveLength(0);
    expect(await soon(() => logLines(app).find((l) => l.msg === "SMS refused: country not in SMS_ALLOWED_COUNTRIES" && l.country === "GB"))).toBeDefined();
    expect(await metric(app, /^portal_throttled_total\{limit="sms_country"\}/)).toBeGreaterThanOrEqual(1);
  });

});

describe("delivery", () => {
  test("a webhook answering 500 once is retried by the outbox and delivered once, with the same id", async () => {
    await outboxSettled(app);
    const start = sms.requests.length;
    sms.failNext(1);
    await requestByPhone(client(), "/forgot-password", "(202) 555-0178");
    const delivered = await sms.waitFor((m) => m.to === "+12025550178");
    await outboxSettled(app);
    const attempts = sms.requests.slice(start).filter((r) => JSON.parse(r.rawBody).to === "+12025550178");
    expect(attempts.map((r) => r.status)).toEqual([500, 204]);
    const ids = attempts.map((r) => JSON.parse(r.rawBody).id as string);
    expect(ids[0]).toBe(ids[1]);
    expect(delivered.id).toBe(ids[0]);
    // Both attempts are signed, and carry the same text.
    for (const r of attempts) expect(verifyWebhookSignature(SECRET, r.rawBody, r.headers["x-signature"])).toBe(true);
    expect(JSON.parse(attempts[0].rawBody).body).toBe(JSON.parse(attempts[1].rawBody).body);
    expect(sms.to("+12025550178")).toHaveLength(1);
    const row = pick(probe.outboxRow(ids[0]), "status", "attempts", "payload");
    expect(row).toEqual({ status: "sent", attempts: 2, payload: null });
    expect(logLines(app).some((l) => l.outboxId === ids[0] && l.msg === "message send failed, will retry")).toBe(true);
  });

});

describe("Twilio adapter and the global SMS budget (one app: SMS_PROVIDER=twilio, SMS_HOURLY_BUDGET=2)", () => {
  beforeAll(() => twilioReady, 120_000);

  test("Twilio adapter: form-encoded To/From/Body with Basic auth on the Messages resource", async () => {
    const c = client(twilioApp);
    await requestByPhone(c, "/forgot-password", "(202) 555-0191");
    const text = await twilio.waitFor((m) => m.to === "+12025550191");
    const req = text.request;
    expect(req.kind).toBe("twilio");
    expect(req.path).toBe(`/2010-04-01/Accounts/${TWILIO.accountSid}/Messages.json`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${TWILIO.accountSid}:${TWILIO.authToken}`).toString("base64")}`);
    expect(req.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(req.rawBody);
    expect([...form.keys()].sort()).toEqual(["Body", "From", "To"]);
    expect(form.get("From")).toBe(TWILIO.from);
    expect(form.get("To")).toBe("+12025550191");
    expect(req.status).toBe(201);
    expect(twilio.requests.filter((r) => r.status !== 201)).toEqual([]);
    await outboxSettled(twilioApp);
    const [row] = twilioProbe.outboxOf("+12025550191");
    expect(row.status).toBe("sent");

    // The texted code works.
    const verified = await c.post("/forgot-password/code", { intent: "verify", code: smsCode(text) });
    expect(verified.status).toBe(303);
    expect(verified.headers.get("location")).toBe("/reset/password");
  });

  test("global budget: with SMS_HOURLY_BUDGET=2 the 3rd SMS of the hour is refused, logged and counted; email still works", async () => {
    // This app (the Twilio one) may already have sent one SMS in another test: count from there.
    const already = twilio.messages.length;
    expect(already).toBeLessThanOrEqual(1);
    const numbers = ["181", "182", "183"].slice(already);
    const shapes = [];
    for (const n of numbers) shapes.push(await shape(await requestByPhone(client(twilioApp), "/forgot-password", `(202) 555-0${n}`)));
    for (const s of shapes.slice(1)) expect(s).toEqual(shapes[0]);
    for (const n of numbers.slice(0, -1)) await twilio.waitFor((m) => m.to === `+12025550${n}`);
    await outboxSettled(twilioApp);
    expect(twilio.to("+12025550183")).toHaveLength(0);
    expect(twilio.messages).toHaveLength(2);
    // pino writes to the log file asynchronously: the line may land just after the answer.
    const line = await soon(() => logLines(twilioApp).find((l) => l.msg === "SMS refused: SMS_HOURLY_BUDGET exhausted"));
    expect(line).toBeDefined();
    expect(line!.budget).toBe(2);
    expect(line!.level).toBe(50); // error: an operator must look at this
    expect(await metric(twilioApp, /^portal_throttled_total\{limit="sms_global_hour"\}/)).toBe(1);

    // Email is not part of the SMS budget.
    const c = client(twilioApp);
    expect((await c.post("/forgot-password", { identifier: "budget3@example.test" })).status).toBe(303);
    const email = await mail.waitFor((m) => m.to.includes("budget3@example.test"));
    expect(email.text).toMatch(/\b\d{6}\b/);
    await outboxSettled(twilioApp);
    expect(twilio.messages).toHaveLength(2);
  });
});

describe("console adapter (development: no SMTP_URL, default SMS_PROVIDER)", () => {
  beforeAll(() => consoleReady, 120_000);

  test("console adapter: the SMS shows in /dev/mailbox; the log names the template and the masked number, never the text (M7)", async () => {
    const c = client(consoleApp);
    await requestByPhone(c, "/forgot-password", "(202) 555-0192");
    await consoleApp.drainOutbox();
    await outboxSettled(consoleApp);
    const box = await client(consoleApp).get("/dev/mailbox");
    expect(box.status).toBe(200);
    const html = await box.text();
    expect(html).toContain("Text message");
    expect(html).toMatch(/To: (<!-- -->)?\+12025550192/);
    const m = html.match(/your password reset code is (\d{6})/);
    expect(m, "SMS text in the mailbox").not.toBeNull();
    const code = m![1];

    const line = await soon(() => logLines(consoleApp).find((l) => l.msg === "console SMS" && l.template === "password-reset"));
    expect(line).toBeDefined();
    expect(line!.to).toBe("+1202555**92");
    expect(line!.body).toBeUndefined();
    expect(consoleApp.logs()).not.toContain(code);
    expect(consoleApp.logs()).not.toContain("+12025550192");
    expect(consoleApp.logs()).not.toContain("your password reset code");

    const verified = await c.post("/forgot-password/code", { intent: "verify", code });
    expect(verified.status).toBe(303);
    expect(verified.headers.get("location")).toBe("/reset/password");
  });
});
