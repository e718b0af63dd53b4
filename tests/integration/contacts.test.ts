import { describe, expect, test } from "vitest";
import { outboxSettled } from "../helpers/app";
import { sleep } from "../helpers/customer";
import { codeIn, type CaughtMail } from "../helpers/smtp-sink";
import { Client, everything, shape } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";
import { smsCode, verifyWebhookSignature } from "../helpers/sms-receiver";

/**
 * Username recovery and verified contact changes (SECURITY.md AR-01, NTF-03, NTF-04, MFA-06,
 * SES-03): usernames travel only to the registered address or verified phone; a new email or
 * phone is saved only after its code; the old and new addresses are told; a stale session must
 * re-enter its password, and gets a new session id for it.
 */

const SECRET = "contacts-webhook-secret-0123456789";
const PASSWORD = "granite willow ferry compass";

const { app, mail, sms, probe, customer: people } = usePortal({
  clients: { ip: "10.9" },
  env: { TRUST_PROXY: "loopback" },
  sms: { secret: SECRET },
  accounts: [
    { username: "unameone" },
    { username: "unamefirst", email: "shared-names@example.test" },
    { username: "unamesecond", email: "shared-names@example.test" },
    { username: "unamephone", phone: "+12025550161" },
    { username: "unameunver", phone: "+12025550162", unverified: true },
    ...[["ntf4user", "+12025550163"], ["ntf3user", "+12025550165"], ["mfa6user"], ["guarduser"]].map(([username, phone]) => ({ username, phone, password: PASSWORD })),
  ],
});
const { client } = people;
const signIn = (username: string) => people.signedIn(username, PASSWORD);

const user = (username: string) => probe.userRow(username)!;
const changes = (username: string) => pick(probe.contactChangesOf(user(username).id), "kind", "new_value", "status", "attempts");

const messagesTo = (address: string) => mail.to(address);

/** The "This wasn't me" link of a notice: a page on this portal where the customer reports it. */
function reportLinkIn(text: string): string {
  const origin = app.origin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = text.match(new RegExp(`${origin}/(?:report/[A-Za-z0-9_-]{20,}|assisted-recovery\\?reason=not-me)`));
  if (!m) throw new Error(`no report link in: ${text}`);
  return m[0];
}

describe("AR-01 username recovery", () => {
  test("identical responses for a known and an unknown email, and for a known and an unknown phone", async () => {
    const known = await shape(await client().post("/forgot-username", { contact: "unameone@example.test" }));
    const unknown = await shape(await client().post("/forgot-username", { contact: "nobody-here@example.test" }));
    expect(known.status).toBe(303);
    expect(known.location).toBe("/forgot-username/sent");
    expect(unknown).toEqual(known);
    const phoneKnown = await shape(await client().post("/forgot-username", { contact: "(202) 555-0161" }));
    const phoneUnknown = await shape(await client().post("/forgot-username", { contact: "(202) 555-0169" }));
    const phoneUnverified = await shape(await client().post("/forgot-username", { contact: "(202) 555-0162" }));
    expect(phoneKnown).toEqual(known);
    expect(phoneUnknown).toEqual(known);
    expect(phoneUnverified).toEqual(known);
    // The page that follows is the same for everyone.
    const a = await shape(await client().get("/forgot-username/sent"));
    expect(a.status).toBe(200);
    expect(a.body).toContain("Check your messages");
  });

  test("an address with two accounts gets one email listing both usernames", async () => {
    const res = await client().post("/forgot-username", { contact: "Shared-Names@Example.test" });
    expect(res.status).toBe(303);
    const email = await mail.waitFor((m) => m.to.includes("shared-names@example.test"));
    await outboxSettled(app);
    await sleep(100);
    expect(messagesTo("shared-names@example.test")).toHaveLength(1);
    expect(email.subject).toMatch(/usernames/i);
    expect(email.text).toMatch(/Username: unamefirst/);
    expect(email.text).toMatch(/Username: unamesecond/);
    expect(email.text).not.toMatch(/unameone/);
    // A username reminder carries no reset link or code.
    expect(email.text).not.toMatch(/\/reset\/[A-Za-z0-9_-]{20,}/);
  });

  test("by SMS to a verified phone only; an unverified phone and an unknown number get nothing", async () => {
    await client().post("/forgot-username", { contact: "+1 202-555-0161" });
    const text = await sms.waitFor((m) => m.to === "+12025550161" && /unamephone/.test(m.body));
    expect(verifyWebhookSignature(SECRET, text.request.rawBody, text.request.headers["x-signature"])).toBe(true);
    expect(text.body).toMatch(/username for this number: unamephone/);
    await client().post("/forgot-username", { contact: "(202) 555-0162" });
    await outboxSettled(app);
    expect(sms.to("+12025550162")).toHaveLength(0);
    expect(sms.to("+12025550169")).toHaveLength(0);
  });

  test("the username never appears in any HTTP response, only in the message", async () => {
    const seen: string[] = [];
    for (const contact of ["unameone@example.test", "shared-names@example.test", "(202) 555-0161"]) {
      const c = client();
      seen.push(await everything(await c.get("/forgot-username")));
      seen.push(await everything(await c.post("/forgot-username", { contact })));
      seen.push(await everything(await c.get("/forgot-username/sent")));
    }
    // An entry that is neither an email nor a phone shows the form again, still without usernames.
    const bad = await client().post("/forgot-username", { contact: "not an address" });
    expect(bad.status).toBe(400);
    seen.push(await everything(bad));
    for (const s of seen) {
      for (const name of ["unameone", "unamefirst", "unamesecond", "unamephone"]) expect(s).not.toContain(name);
    }
    const email = await mail.waitFor((m) => m.to.includes("unameone@example.test"));
    expect(email.text).toContain("Username: unameone");
  });
});

describe("NTF-04 a new email or phone is used only after its code", () => {
  test("not saved until the code; never used for recovery or reminders while unverified", async () => {
    const c = await signIn("ntf4user");
    // Email: start the change.
    const start = await c.post("/account/email", { intent: "start", value: "ntf4-new@example.test" });
    expect(start.status).toBe(303);
    expect(start.headers.get("location")).toBe("/account/email");
    const pendingPage = await (await c.get("/account/email")).text();
    expect(pendingPage).toContain("ntf4-new@example.test");
    expect(user("ntf4user").email).toBe("ntf4user@example.test");
    expect(await (await c.get("/account")).text()).not.toContain("ntf4-new@example.test");
    const verifyMail = await mail.waitFor((m) => m.to.includes("ntf4-new@example.test"));
    expect(verifyMail.subject).toMatch(/Confirm your new/);

    // Phone: start the change too.
    expect((await c.post("/account/phone", { intent: "start", value: "(202) 555-0164" })).status).toBe(303);
    const verifySms = await sms.waitFor((m) => m.to === "+12025550164");
    expect(verifySms.body).toMatch(/code to confirm this phone number is \d{6}/);
    expect(user("ntf4user").phone).toBe("+12025550163");

    // The unverified values are not destinations: no reset, unlock or username message goes there.
    await client().post("/forgot-password", { identifier: "ntf4-new@example.test" });
    await client().post("/forgot-username", { contact: "ntf4-new@example.test" });
    await client().post("/forgot-password", { identifier: "(202) 555-0164" });
    await client().post("/unlock", { identifier: "(202) 555-0164" });
    await client().post("/forgot-username", { contact: "(202) 555-0164" });
    // A reset by username still goes to the old, verified address only.
    await client().post("/forgot-password", { identifier: "ntf4user" });
    await mail.waitFor((m) => m.to.includes("ntf4user@example.test") && /reset/i.test(m.subject));
    await outboxSettled(app);
    await sleep(100);
    expect(messagesTo("ntf4-new@example.test")).toHaveLength(1); // only the confirmation code
    expect(sms.to("+12025550164")).toHaveLength(1); // only the confirmation code

    // Confirming with the codes saves them, as verified.
    const phoneOk = await c.post("/account/phone", { intent: "verify", code: smsCode(verifySms) });
    expect(phoneOk.status).toBe(303);
    expect(phoneOk.headers.get("location")).toBe("/account?changed=phone");
    const emailOk = await c.post("/account/email", { intent: "verify", code: codeIn(verifyMail) });
    expect(emailOk.status).toBe(303);
    expect(emailOk.headers.get("location")).toBe("/account?changed=email");
    const saved = user("ntf4user");
    expect(saved).toMatchObject({ email: "ntf4-new@example.test", email_verified: 1, phone: "+12025550164", phone_verified: 1 });
    expect(changes("ntf4user").map((x) => x.status)).toEqual(["done", "done"]);

    // Now the new phone is a destination.
    await client().post("/forgot-username", { contact: "(202) 555-0164" });
    // (The email change before this also texted this phone, so wait for the reminder itself.)
    const reminder = await sms.waitFor((m) => m.to === "+12025550164" && /username for this number/.test(m.body));
    expect(reminder.body).toMatch(/username for this number: ntf4user/);
    // The old phone was told about the phone change.
    const told = await sms.waitFor((m) => m.to === "+12025550163" && /was changed/.test(m.body));
    expect(reportLinkIn(told.body)).toBeTruthy();
  });
});

describe("NTF-03 email change notices", () => {
  test("the old and the new address both get the notice with the 'This wasn't me' link", async () => {
    const c = await signIn("ntf3user");
    expect((await c.post("/account/email", { intent: "start", value: "ntf3-new@example.test" })).status).toBe(303);
    const code = codeIn(await mail.waitFor((m) => m.to.includes("ntf3-new@example.test")));
    const done = await c.post("/account/email", { intent: "verify", code });
    expect(done.status).toBe(303);
    const isNotice = (m: CaughtMail) => /email address was changed/.test(m.subject);
    const oldNotice = await mail.waitFor((m) => m.to.includes("ntf3user@example.test") && isNotice(m));
    const newNotice = await mail.waitFor((m) => m.to.includes("ntf3-new@example.test") && isNotice(m));
    for (const notice of [oldNotice, newNotice]) {
      expect(notice.to).toHaveLength(1); // one message per address: neither learns the other
      expect(notice.text).toContain("ntf3user");
      expect(notice.text).toMatch(/This wasn.t me/i);
      const link = reportLinkIn(notice.text);
      expect(notice.html).toMatch(/This wasn(?:'|&#x27;|&#39;|’)t me/);
      expect(notice.html).toContain(`href="${link.replace(/&/g, "&amp;")}"`);
    }
    const account = await (await c.get("/account?changed=email")).text();
    expect(account).toContain("ntf3-new@example.test");
    expect(account).toMatch(/was changed and confirmed/);
  });
});

describe("MFA-06 fresh authentication before a contact change", () => {
  test("a session older than 10 minutes must confirm its password; it then gets a new session id (SES-03)", async () => {
    const c = await signIn("mfa6user");
    const first = c.cookies.get("session")!;
    expect(first).toBeTruthy();
    // Fresh: the page opens.
    expect((await c.get("/account/phone")).status).toBe(200);

    await app.advanceClock(10 * 60_000 + 1000);
    for (const p of ["/account/email", "/account/phone"]) {
      const res = await c.get(p);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`/account/confirm?next=${encodeURIComponent(p)}`);
    }
    // A stale session cannot start a change by posting directly either.
    const sneak = await c.post("/account/email", { intent: "start", value: "mfa6-sneak@example.test" });
    expect(sneak.status).toBe(302);
    expect(sneak.headers.get("location")).toBe("/account/confirm?next=%2Faccount%2Femail");
    expect(changes("mfa6user")).toHaveLength(0);

    const confirmPage = await c.get("/account/confirm?next=%2Faccount%2Femail");
    expect(confirmPage.status).toBe(200);
    expect(await confirmPage.text()).toContain("Confirm it");

    // A wrong password changes nothing.
    const wrong = await c.post("/account/confirm", { next: "/account/email", password: "not my password at all" });
    expect(wrong.status).toBe(400);
    expect(c.cookies.get("session")).toBe(first);

    const ok = await c.post("/account/confirm", { next: "/account/email", password: PASSWORD });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account/email");
    const second = c.cookies.get("session")!;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);

    // The old session id is dead: replaying it is an anonymous visit.
    const replay = new Client(app.origin, { "x-forwarded-for": "10.9.250.1" });
    replay.cookies.set("session", first);
    const replayed = await replay.get("/account");
    expect(replayed.status).toBe(302);
    expect(replayed.headers.get("location")).toBe("/login");

    // The change now works.
    expect((await c.get("/account/email")).status).toBe(200);
    expect((await c.post("/account/email", { intent: "start", value: "mfa6-new@example.test" })).status).toBe(303);
    const code = codeIn(await mail.waitFor((m) => m.to.includes("mfa6-new@example.test")));
    const done = await c.post("/account/email", { intent: "verify", code });
    expect(done.status).toBe(303);
    expect(user("mfa6user").email).toBe("mfa6-new@example.test");
    // The notice reaches the existing address.
    await mail.waitFor((m) => m.to.includes("mfa6user@example.test") && /was changed/.test(m.subject));
  });

  test("/account/confirm only sends back to /account pages", async () => {
    const c = await signIn("mfa6user");
    const res = await c.post("/account/confirm", { next: "https://evil.example/steal", password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/account");
  });
});

describe("contact change abuse", () => {
  test("five wrong codes kill the pending change; the right code no longer works", async () => {
    const c = await signIn("guarduser");
    expect((await c.post("/account/email", { intent: "start", value: "guard-new@example.test" })).status).toBe(303);
    const code = codeIn(await mail.waitFor((m) => m.to.includes("guard-new@example.test")));
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 1; i <= 5; i++) {
      const res = await c.post("/account/email", { intent: "verify", code: wrong });
      expect(res.status).toBe(400);
      const html = await res.text();
      if (i < 5) expect(html).toContain(`You have ${5 - i} tries left`);
      else expect(html).toContain("Too many wrong codes");
    }
    const late = await c.post("/account/email", { intent: "verify", code });
    expect(late.status).toBe(400);
    expect(user("guarduser")).toMatchObject({ email: "guarduser@example.test", email_verified: 1 });
    expect(changes("guarduser")).toEqual([{ kind: "email", new_value: "guard-new@example.test", status: "cancelled", attempts: 5 }]);
    // The page no longer offers the code step.
    expect(await (await c.get("/account/email")).text()).not.toContain("guard-new@example.test");
  });

  test("a CR/LF or script payload in the new-email field is rejected with 400 and changes nothing", async () => {
    const c = await signIn("guarduser");
    const before = probe.outboxCount();
    const payloads = [
      "guard-x@example.test\r\nBcc: attacker@evil.test",
      "guard-x@example.test\nSubject: hi",
      "guard-x@example.test%0d%0aBcc:attacker@evil.test",
      "<script>alert(1)</script>@example.test",
      '"><img src=x onerror=alert(1)>@example.test',
    ];
    for (const value of payloads) {
      const res = await c.post("/account/email", { intent: "start", value });
      expect(res.status, JSON.stringify(value)).toBe(400);
      const html = await res.text();
      expect(html).toContain("Enter an email address like name@example.com");
      expect(html).not.toContain("<script>alert(1)</script>");
      expect(html).not.toContain("<img src=x");
    }
    const phone = await c.post("/account/phone", { intent: "start", value: "<script>alert(1)</script>" });
    expect(phone.status).toBe(400);
    expect(await phone.text()).not.toContain("<script>alert(1)</script>");
    expect(changes("guarduser").filter((x) => x.status === "pending")).toHaveLength(0);
    await outboxSettled(app);
    expect(probe.outboxCount()).toBe(before);
    expect(mail.messages.some((m) => m.to.includes("attacker@evil.test"))).toBe(false);
  });
});
