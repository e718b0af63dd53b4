import { describe, expect, test } from "vitest";
import { outboxSettled } from "../helpers/app";
import { mainOf, pathOf, sleep } from "../helpers/customer";
import { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";
import { linkIn } from "../helpers/smtp-sink";
import { staffDriver, type StaffLogin } from "../helpers/staff";
import { portalNow, totpAt } from "../helpers/totp";

/**
 * Assisted recovery (DESIGN.md "Assisted recovery"; SECURITY.md AR-02..AR-05, EML-01, EML-02,
 * NTF-02): the public ticket form, the support email and the customer's acknowledgement, the staff
 * console behind password + TOTP, staff actions and their history, and the single-use
 * "This wasn't me" report link.
 *
 * The portal trusts X-Forwarded-For from loopback and each client gets its own address, so the
 * per-IP limits only trip where a test means them to. Sessions idle for a day so that moving the
 * portal clock (TOTP steps, expired links) never signs staff out by accident; the lockout is
 * tightened (3 wrong passwords, no delays) so one test can lock an account quickly.
 */

const SUPPORT = "support@localhost";
const PASSWORD = "granite willow ferry compass";
const STAFF_PASSWORD = "staff pass words here ok";
const REF_RE = /^AR-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

const email = (u: string) => `${u}@example.test`;
/** Imported without a password: the ones that sign in get theirs through a reset (cheaper than a CLI run each). */
const USERS = ["ardead", "armatch", "arapprove", "arntf", "arhist", "arcustomer", "arreport", "arlocked"];

const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let agent: StaffLogin;

const { app, mail, probe, customer } = usePortal({
  clients: { ip: "10.77" },
  env: {
    TRUST_PROXY: "loopback",
    // Staff act at once here; four eyes (a supervisor approves) is tests/integration/approvals.test.ts.
    FOUR_EYES: "none",
    SESSION_IDLE_MINUTES: "1440",
    SESSION_ABSOLUTE_HOURS: "24",
    LOCKOUT_TEMPORARY_AFTER: "3",
    LOCKOUT_DELAY_AFTER: "5",
    LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "100",
    LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: "100",
    LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: "100",
  },
  accounts: USERS.map((username) => ({ username })),
  setup: async () => {
    await staff.add("agent@staff.test", "mfa@staff.test");
    agent = await staff.enrol("agent@staff.test");
  },
});
const { client, nextIp, freshContact, ticketForm, nthMail, countMail } = customer;

// ---- helpers --------------------------------------------------------------------------------

/** Submits and expects the confirmation; returns the stored ticket. */
async function openTicket(over: Record<string, string> = {}, c = client()) {
  const { res, reference } = await customer.submitTicket(ticketForm(over), c);
  expect(res.status).toBe(200);
  expect(reference).toMatch(REF_RE);
  return probe.ticketRow(reference!)!;
}

const supportMail = (reference: string) => mail.waitFor((m) => m.to.includes(SUPPORT) && m.subject.includes(reference));

const linksToSupport = (html: string) => /href="\/assisted-recovery(\?[^"]*)?"/.test(mainOf(html));

function headerBlock(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return raw.slice(0, end);
}
/** Header names of a raw message (folded lines joined). */
function headerNames(raw: string): string[] {
  return headerBlock(raw)
    .replace(/\r?\n[ \t]+/g, " ")
    .split(/\r?\n/)
    .map((l) => l.slice(0, l.indexOf(":")).toLowerCase());
}

/** HTML as text a reader sees: React's text-node separators dropped, entities decoded. */
const decodeEntities = (s: string) =>
  s.replace(/<!-- -->/g, "").replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCharCode(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d) => String.fromCharCode(Number(d))).replace(/&quot;/g, '"').replace(/&amp;/g, "&");

// ---- AR-02 ----------------------------------------------------------------------------------

describe("AR-02 a support-assisted path from every dead end", () => {
  test("expired, used and invalid reset links, the code page, /forgot-username/sent, the support-only unlock page and a used report link all link to /assisted-recovery", async () => {
    // A used reset link: a newer request replaces it.
    const c = client();
    expect((await c.post("/forgot-password", { identifier: "ardead" })).status).toBe(303);
    const code = await c.get("/forgot-password/code");
    expect(code.status).toBe(200);
    expect(linksToSupport(await code.text()), "the code page").toBe(true);
    const first = await nthMail(email("ardead"), /^Reset your/, 0);
    const firstPath = pathOf(linkIn(first, "/reset/"));
    // The same browser asks again (another browser's request would leave it valid: M4, L14).
    expect((await c.post("/forgot-password", { identifier: "ardead" })).status).toBe(303);
    await nthMail(email("ardead"), /^Reset your/, 1);
    const used = await client().get(firstPath);
    expect(used.status).toBe(410);
    const usedHtml = await used.text();
    expect(usedHtml).toContain("This link was already used");
    expect(linksToSupport(usedHtml), "the used-link page").toBe(true);

    // An expired one.
    expect((await client().post("/forgot-password", { identifier: "ardead" })).status).toBe(303);
    const second = await nthMail(email("ardead"), /^Reset your/, 2);
    await app.advanceClock(31 * 60_000);
    const expired = await client().get(pathOf(linkIn(second, "/reset/")));
    expect(expired.status).toBe(410);
    const expiredHtml = await expired.text();
    expect(expiredHtml).toContain("This link has expired");
    expect(linksToSupport(expiredHtml), "the expired-link page").toBe(true);

    // A link that never existed.
    const invalid = await client().get(`/reset/${"A".repeat(43)}`);
    expect(invalid.status).toBe(404);
    expect(linksToSupport(await invalid.text()), "the invalid-link page").toBe(true);

    const sent = await client().get("/forgot-username/sent");
    expect(sent.status).toBe(200);
    expect(linksToSupport(await sent.text()), "/forgot-username/sent").toBe(true);

    // The support-only unlock page and the used report link are reached in the "This wasn't me"
    // test below (they need a reported account); here, the report link that is not valid.
    const badReport = await client().get(`/report/${"B".repeat(43)}`);
    expect(badReport.status).toBe(404);
    expect(linksToSupport(await badReport.text()), "an invalid report link").toBe(true);
  });

  test("the form is there and submits; ?reason=not-me preselects 'Someone else is using my account'", async () => {
    const page = await client().get("/assisted-recovery");
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const label of ["Full name", "Username or email on the account (optional)", "Email where we can reach you", "Phone (optional)", "What happened?", "Tell us more"]) {
      expect(html).toContain(label);
    }
    expect(html).not.toMatch(/checked=""/);
    const notMe = await (await client().get("/assisted-recovery?reason=not-me")).text();
    expect(notMe.match(/<input[^>]*id="category-compromised"[^>]*>/)?.[0]).toContain('checked=""');
    expect(notMe.match(/<input[^>]*id="category-other"[^>]*>/)?.[0]).not.toContain("checked");

    const before = probe.ticketCount();
    const { res, html: done, reference } = await customer.submitTicket(ticketForm());
    expect(res.status).toBe(200);
    expect(decodeEntities(done)).toContain("We've got your request");
    expect(reference).toMatch(REF_RE);
    expect(decodeEntities(done)).toMatch(/within 24 hours/);
    expect(probe.ticketCount()).toBe(before + 1);
  });
});

// ---- AR-03 ----------------------------------------------------------------------------------

describe("AR-03 the same answer for every account, rate limits and length limits", () => {
  /** What a client can observe, minus the reference and per-request noise (request id, date, CSP nonce). */
  async function shape(res: Response, reference: string) {
    const body = (await res.text()).split(reference).join("AR-REF").replace(/nonce="[^"]*"/g, 'nonce="N"');
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (["x-request-id", "date"].includes(name)) return;
      headers[name] = name === "content-security-policy" ? value.replace(/'nonce-[^']+'/g, "'nonce-N'") : value;
    });
    return { status: res.status, headers, cookies: res.headers.getSetCookie(), body };
  }

  test("the confirmation is identical, apart from the reference, for a matching account and for no account", async () => {
    const common = { category: "lost_email", details: "Same words", lastSignInClaim: "May", openedClaim: "2020", fullName: "Sam Same" };
    const a = await client().post("/assisted-recovery", ticketForm({ ...common, accountHint: "armatch", contactEmail: email("armatch") }));
    const b = await client().post("/assisted-recovery", ticketForm({ ...common, accountHint: "no-such-user-x", contactEmail: "nobody.here@contact.test" }));
    const refA = (await a.clone().text()).match(/AR-[A-Z0-9]{4}-[A-Z0-9]{4}/)![0];
    const refB = (await b.clone().text()).match(/AR-[A-Z0-9]{4}-[A-Z0-9]{4}/)![0];
    expect(refA).not.toBe(refB);
    const [sa, sb] = [await shape(a, refA), await shape(b, refB)];
    expect(sa.status).toBe(200);
    expect(sb).toEqual(sa);
    // They took different paths inside: one matched the account, one did not.
    expect(probe.ticketRow(refA)!.matched_user_id).toBe(probe.userRow("armatch")!.id);
    expect(probe.ticketRow(refB)!.matched_user_id).toBeNull();
    // Both contacts get the same acknowledgement.
    const [ackA, ackB] = await Promise.all([nthMail(email("armatch"), /We received your request/), nthMail("nobody.here@contact.test", /We received your request/)]);
    expect(ackA.subject.replace(refA, "R")).toBe(ackB.subject.replace(refB, "R"));
  });

  test("a burst from one client gets 429 at LIMIT_TICKETS_PER_IP_PER_HOUR (5), and nothing is stored", async () => {
    const c = client();
    for (let i = 0; i < 5; i++) {
      const { res } = await customer.submitTicket(ticketForm(), c);
      expect(res.status, `submission ${i + 1}`).toBe(200);
    }
    const before = probe.ticketCount();
    const contact = freshContact("burst");
    const { res } = await customer.submitTicket(ticketForm({ contactEmail: contact }), c);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(probe.ticketCount()).toBe(before);
    expect(probe.outboxOf(contact).length).toBe(0);
    // Another client is not affected.
    expect((await customer.submitTicket(ticketForm())).res.status).toBe(200);
  });

  test("one contact address gets 429 at LIMIT_TICKETS_PER_CONTACT_PER_DAY (3), across clients and letter case", async () => {
    const contact = freshContact("percontact");
    for (let i = 0; i < 3; i++) expect((await customer.submitTicket(ticketForm({ contactEmail: contact }))).res.status).toBe(200);
    const before = probe.ticketCount();
    expect((await customer.submitTicket(ticketForm({ contactEmail: contact }))).res.status).toBe(429);
    expect((await customer.submitTicket(ticketForm({ contactEmail: contact.toUpperCase() }))).res.status).toBe(429);
    expect(probe.ticketCount()).toBe(before);
    await outboxSettled(app);
    expect(countMail(contact, /We received your request/)).toBe(3);
  });

  test("a 100 kB field gets 413; a 3 kB description gets 400 with a length message; bad values get 400; nothing is stored", async () => {
    const before = probe.ticketCount();
    const big = freshContact("big");
    const huge = await client().post("/assisted-recovery", ticketForm({ contactEmail: big, details: "x".repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain("Too much data");

    const long = freshContact("long");
    const { res, html } = await customer.submitTicket(ticketForm({ contactEmail: long, details: "y".repeat(3000) }));
    expect(res.status).toBe(400);
    expect(html).toContain("Your description can be at most 2000 characters");
    expect(html).not.toContain("Your reference is");

    for (const [field, value, message] of [
      ["fullName", "n".repeat(101), "Your name can be at most 100 characters"],
      ["fullName", "", "Enter your full name"],
      ["accountHint", "h".repeat(321), "The username or email can be at most 320 characters"],
      ["lastSignInClaim", "l".repeat(101), "This answer can be at most 100 characters"],
      ["contactEmail", "not an email", "Enter an email address like name@example.com"],
      ["contactPhone", "call me maybe", "Enter a phone number using digits"],
      ["category", "admin", "Choose what happened"],
      ["consent", "", "Tick the box so we may contact you about this request"],
    ] as const) {
      const r = await customer.submitTicket(ticketForm({ contactEmail: freshContact("bad"), [field]: value }));
      expect(r.res.status, `${field}=${value.slice(0, 20)}`).toBe(400);
      expect(decodeEntities(r.html)).toContain(message);
    }
    expect(probe.ticketCount()).toBe(before);
    await sleep(200);
    expect(probe.outboxOf(big).length + probe.outboxOf(long).length).toBe(0);
    expect(mail.to(big).length + mail.to(long).length).toBe(0);
  });
});

// ---- EML-01 / EML-02 ------------------------------------------------------------------------

describe("EML-01 no header injection from the form", () => {
  test("CR/LF in the contact email or the name is refused; CR/LF in free text never reaches a header", async () => {
    const before = probe.ticketCount();
    for (const contactEmail of ["a@b.test\r\nBcc: x@evil.test", "a@b.test\nBcc: x@evil.test", "a@b.test%0d%0aBcc:x@evil.test", "a@b.test\r\n.\r\nMAIL FROM:<x@evil.test>"]) {
      const r = await customer.submitTicket(ticketForm({ contactEmail }));
      expect(r.res.status, JSON.stringify(contactEmail)).toBe(400);
      expect(r.html).toContain("Enter an email address like name@example.com");
    }
    for (const fullName of ["Eve\nBcc: x@evil.test", "Eve\r\nBcc: x@evil.test", "Eve\rSubject: pwned"]) {
      const r = await customer.submitTicket(ticketForm({ fullName }));
      expect(r.res.status, JSON.stringify(fullName)).toBe(400);
      expect(r.html).toContain("Your name must be on one line");
    }
    expect(probe.ticketCount()).toBe(before);

    // Free-text fields may hold line breaks; they go into the body as text only.
    const contact = freshContact("eml1");
    const t = await openTicket({
      fullName: "Eml One",
      contactEmail: contact,
      accountHint: "someone\r\nBcc: x@evil.test\r\nSubject: pwned",
      details: "line one\r\nBcc: x@evil.test\r\nCc: y@evil.test\r\n\r\n.\r\nRCPT TO:<z@evil.test>",
      lastSignInClaim: "May\r\nReply-To: x@evil.test",
    });
    const support = await supportMail(t.reference);
    const ack = await nthMail(contact, /We received your request/);
    for (const [m, to] of [
      [support, SUPPORT],
      [ack, contact],
    ] as const) {
      const names = headerNames(m.raw);
      expect(names.filter((n) => n === "to")).toHaveLength(1);
      expect(names).not.toContain("bcc");
      expect(names).not.toContain("cc");
      expect(names).not.toContain("reply-to");
      expect(names.filter((n) => n === "subject")).toHaveLength(1);
      expect(headerBlock(m.raw)).not.toMatch(/evil|pwned/i);
      expect(m.to).toEqual([to]);
      expect(m.subject).not.toMatch(/pwned|evil/);
    }
    expect(support.subject).toBe(`[${t.reference}] New assisted-recovery request: My account is locked`);
    // The injected text is there, as text, in the body.
    expect(support.text).toContain("Bcc: x@evil.test");
    await outboxSettled(app);
    expect(mail.messages.filter((m) => m.to.some((a) => a.includes("evil")))).toEqual([]);
    expect(probe.outboxToAnyContaining("evil")).toEqual([]);
  });
});

describe("EML-02 customer text is escaped in support's email and console", () => {
  const PAYLOADS = {
    fullName: "<img src=x onerror=alert(1)>",
    accountHint: '"><script>alert(1)</script>',
    details: "javascript:alert(1) {{7*7}} ${7*7} <a href=\"javascript:alert(1)\">click</a>",
    lastSignInClaim: "{{7*7}}",
    openedClaim: "${7*7}",
  };

  test("the support email's HTML has &lt;img, no <script, no 49 and no javascript: link; the staff page escapes too", async () => {
    const contactEmail = freshContact("eml2");
    const t = await openTicket({ ...PAYLOADS, contactEmail, category: "other" });
    const m = await supportMail(t.reference);
    const html = m.html;
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/onerror=alert\(1\)>/);
    expect(html).toContain("{{7*7}}");
    expect(html).toContain("${7*7}");
    // No template evaluated the payloads: "49" appears nowhere outside the reference, the portal's
    // address (its port), the due time, and the random parts of the contact address and ticket link.
    const withoutNoise = (x: string) =>
      x
        .split(t.reference)
        .join("")
        .split(app.origin)
        .join("")
        .split(contactEmail)
        .join("")
        .replace(/\/support\/tickets\/[a-z0-9]+/g, "")
        .replace(/\b\d{2}:\d{2}:\d{2}\b/g, "")
        .replace(/\b\d{4}\b/g, "");
    expect(withoutNoise(html)).not.toContain("49");
    expect(withoutNoise(m.text)).not.toContain("49");
    // Every link is the portal's own: none comes from the customer, none is javascript:.
    expect(html).not.toMatch(/<a\b[^>]*href="\s*javascript:/i);
    const hrefs = [...html.matchAll(/<a\b[^>]*\bhref="([^"]*)"/gi)].map((x) => decodeEntities(x[1]).trim());
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) {
      expect(href).not.toMatch(/^javascript:/i);
      expect(href.startsWith(app.origin + "/support/tickets/")).toBe(true);
    }

    const page = await agent.c.get(`/support/tickets/${t.id}`);
    expect(page.status).toBe(200);
    const staffHtml = mainOf(await page.text());
    expect(staffHtml).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(staffHtml).not.toMatch(/<script/i);
    expect(staffHtml).not.toMatch(/<img/i);
    expect(staffHtml).not.toMatch(/href="javascript:/i);
    expect(staffHtml).toContain("{{7*7}}");
  });
});

// ---- AR-05 ----------------------------------------------------------------------------------

describe("AR-05 random references and no IDOR", () => {
  test("references are random, well-formed and distinct; ids are long random strings", async () => {
    for (let i = 0; i < 8; i++) await openTicket({ contactEmail: freshContact("ref") });
    const rows = probe.allTickets();
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const r of rows) {
      expect(r.reference).toMatch(REF_RE);
      expect(r.id).toMatch(/^[a-z2-7]{24}$/);
      expect(r.id.toUpperCase()).not.toContain(r.reference.slice(3, 7));
    }
    expect(new Set(rows.map((r) => r.reference)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // Not a counter: consecutive references share no prefix pattern, and many characters are used.
    const chars = new Set(rows.flatMap((r) => r.reference.slice(3).replace("-", "").split("")));
    expect(chars.size).toBeGreaterThan(12);
    const sorted = rows.map((r) => r.reference).sort();
    expect(sorted).not.toEqual(rows.map((r) => r.reference));
  });

  test("anonymous clients and customers cannot read a ticket; no customer page shows a ticket by reference", async () => {
    const marker = `Idor Marker ${Date.now()}`;
    const t = await openTicket({ fullName: marker, contactEmail: freshContact("idor"), accountHint: "arcustomer" });

    for (const method of ["get", "post"] as const) {
      const anon = method === "get" ? await client().get(`/support/tickets/${t.id}`) : await client().post(`/support/tickets/${t.id}`, { action: "close", note: "anonymous close" });
      expect(anon.status).toBe(302);
      expect(anon.headers.get("location")).toBe("/support/login");
      expect(await anon.text()).not.toContain(marker);
    }

    await customer.resetPassword("arcustomer", email("arcustomer"), PASSWORD);
    const { status, c: customerClient } = await customer.signIn("arcustomer", PASSWORD);
    expect(status).toBe(302);
    expect((await customerClient.get("/account")).status).toBe(200);
    for (const p of [`/support/tickets/${t.id}`, "/support"]) {
      const res = await customerClient.get(p);
      expect(res.status, p).toBe(302);
      expect(res.headers.get("location")).toBe("/support/login");
    }
    // The customer's own session token, offered as a staff session, is no staff session.
    const forged = new Client(app.origin, { "x-forwarded-for": nextIp() });
    forged.cookies.set("staff_session", customerClient.cookies.get("session")!);
    const viaForged = await forged.get(`/support/tickets/${t.id}`);
    expect(viaForged.status).toBe(302);
    expect(viaForged.headers.get("location")).toBe("/support/login");
    const close = await customerClient.post(`/support/tickets/${t.id}`, { action: "close", note: "customer tries" });
    expect(close.status).toBe(302);
    expect(probe.ticketRow(t.reference)!.status).toBe("open");

    for (const p of [
      `/assisted-recovery/${t.reference}`,
      `/assisted-recovery/${t.id}`,
      `/assisted-recovery/status/${t.reference}`,
      `/assisted-recovery/tickets/${t.reference}`,
      `/tickets/${t.reference}`,
      `/tickets/${t.id}`,
      `/ticket/${t.reference}`,
      `/support/tickets/${t.reference}`,
      `/api/tickets/${t.id}`,
      `/assisted-recovery/confirm/${t.reference}`,
      `/assisted-recovery?reference=${t.reference}`,
      `/assisted-recovery?ref=${t.reference}&id=${t.id}`,
    ]) {
      for (const c of [client(), customerClient]) {
        const res = await c.get(p);
        expect([200, 302, 404]).toContain(res.status);
        expect(await res.text(), p).not.toContain(marker);
      }
    }
    expect(probe.ticketRow(t.reference)!.status).toBe("open");
  });
});

// ---- Staff sign-in --------------------------------------------------------------------------

describe("staff sign in with password and authenticator, always", () => {
  test("a staff member without an authenticator is sent to /support/setup; the password alone never reaches /support", async () => {
    const c = client();
    const res = await c.post("/support/login", { email: "mfa@staff.test", password: STAFF_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/support/setup");
    expect(probe.staffSessionsOf(probe.staffRow("mfa@staff.test")!.id)).toBe(0);
    for (const p of ["/support", "/support/tickets/aaaaaaaaaaaaaaaaaaaaaaaa"]) {
      const r = await c.get(p);
      expect(r.status, p).toBe(302);
      expect(r.headers.get("location")).toBe("/support/login");
    }
    const verify = await c.get("/support/verify");
    expect(verify.headers.get("location")).toBe("/support/setup");
    const setup = await c.get("/support/setup");
    expect(setup.status).toBe(200);
    const html = await setup.text();
    const secret = html.match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)![1];
    expect(secret.length).toBeGreaterThanOrEqual(32); // 160 bits in base32
    expect(html).toMatch(/<img[^>]*src="data:image\/png;base64,/);
    // The key stays the same until it is confirmed; it is stored encrypted.
    expect((await (await c.get("/support/setup")).text())).toContain(secret);
    expect(probe.staffRow("mfa@staff.test")!.totp_secret).not.toContain(secret);
    // A wrong code does not confirm it.
    const wrong = await c.post("/support/setup", { code: (Number(await totpAt(app, secret)) + 1).toString().padStart(6, "0").slice(-6) });
    expect(wrong.status).toBe(400);
    expect(probe.staffRow("mfa@staff.test")!.totp_confirmed_at).toBeNull();
    expect((await c.get("/support")).status).toBe(302);
    // Without any pending password step, the setup and verify pages send you to sign in.
    for (const p of ["/support/setup", "/support/verify"]) {
      const r = await client().get(p);
      expect(r.headers.get("location"), p).toBe("/support/login");
    }
  });

  test("wrong passwords and unknown emails get the same refusal", async () => {
    const a = await client().post("/support/login", { email: "mfa@staff.test", password: "not the password at all" });
    const b = await client().post("/support/login", { email: "nobody@staff.test", password: STAFF_PASSWORD });
    expect(a.status).toBe(400);
    expect(b.status).toBe(400);
    const [ta, tb] = [await a.text(), await b.text()];
    expect(ta).toContain("That email and password don&#x27;t match.");
    expect(tb.replace(/nonce="[^"]*"/g, "")).toBe(ta.replace(/nonce="[^"]*"/g, ""));
    expect(a.headers.getSetCookie()).toEqual([]);
  });

  test("MFA-04 for staff: a wrong code, a replayed code and an old code are refused; the next step's code works", async () => {
    const s = await staff.enrol("mfa@staff.test");
    expect(probe.staffRow("mfa@staff.test")!.totp_confirmed_at).not.toBeNull();
    expect((await s.c.get("/support")).status).toBe(200);

    // The code used at set-up, again, in a new sign-in: a replay.
    const used = s.lastCode;
    const c = client();
    const pw = await c.post("/support/login", { email: s.email, password: STAFF_PASSWORD });
    expect(pw.headers.get("location")).toBe("/support/verify");
    expect((await c.get("/support")).status).toBe(302);
    const replay = await c.post("/support/verify", { code: used });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("already used");
    const wrong = await c.post("/support/verify", { code: used === "000000" ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    for (const bad of ["12345", "1234567", "abcdef", ""]) expect((await c.post("/support/verify", { code: bad })).status).toBe(400);
    expect((await c.get("/support")).status).toBe(302);

    // Four steps later, a code from two steps back is outside the drift allowance (and newer than
    // the last one used, so it is refused as too old, not as a replay); the current one works, once.
    await app.advanceClock(120_000);
    expect((await c.post("/support/verify", { code: await totpAt(app, s.secret, -2) })).status).toBe(400);
    const fresh = await totpAt(app, s.secret);
    const ok = await c.post("/support/verify", { code: fresh });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/support");
    expect((await c.get("/support")).status).toBe(200);
    const again = client();
    await again.post("/support/login", { email: s.email, password: STAFF_PASSWORD });
    expect((await again.post("/support/verify", { code: fresh })).status).toBe(400);

    const failures = probe.auditEvents({ event: "staff_sign_in", outcome: "failure", actorId: s.id });
    expect(failures.length).toBeGreaterThanOrEqual(3);

    // Signing out ends the session.
    const out = await c.post("/support/logout", {});
    expect(out.headers.get("location")).toBe("/support/login");
    expect((await c.get("/support")).status).toBe(302);
  });
});

// ---- AR-04 ----------------------------------------------------------------------------------

describe("AR-04 staff can send a reset link, never set or see a password", () => {
  test("no route sets or shows a password", async () => {
    const t = await openTicket({ accountHint: "arcustomer", contactEmail: freshContact("ar4") });
    const user = probe.userRow("arcustomer")!;
    const paths = [
      "/support/users/x/password",
      `/support/users/${user.id}/password`,
      `/support/users/arcustomer/password`,
      `/support/tickets/${t.id}/password`,
      `/support/tickets/${t.id}/set-password`,
      `/support/tickets/${t.id}/reset-password`,
      "/support/password",
      "/support/users",
      `/admin/users/${user.id}/password`,
      `/api/users/${user.id}/password`,
      `/api/support/users/${user.id}`,
    ];
    for (const p of paths) {
      for (const c of [agent.c, client()]) {
        const get = await c.get(p);
        expect([404, 405], `GET ${p}`).toContain(get.status);
        const post = await c.post(p, { password: "attacker chosen password", confirm: "attacker chosen password", note: "set it" });
        expect([404, 405], `POST ${p}`).toContain(post.status);
      }
    }
    // The ticket action endpoint knows no such action and ignores a password field.
    for (const action of ["set_password", "show_password", "reset_mfa_without_proof", ""]) {
      const r = await staff.act(agent.c, t.id, { action, note: "set it for them", password: "attacker chosen password" });
      expect(r.status, action).toBe(400);
      expect(r.text).toContain("Choose an action.");
    }
    expect(probe.userRow("arcustomer")!.password_hash).toBe(user.password_hash);
    // The console page has no password field and no hash.
    const page = await (await agent.c.get(`/support/tickets/${t.id}`)).text();
    expect(page).not.toMatch(/type="password"/);
    expect(page).not.toContain(user.password_hash!.slice(0, 30));
    expect(page).not.toMatch(/\$argon2/);
  });

  test("approve sends an ordinary reset link to the account's verified email, which works end to end", async () => {
    const contact = freshContact("ar4approve");
    const t = await openTicket({ accountHint: "arapprove", contactEmail: contact, category: "lost_email" });
    const user = probe.userRow("arapprove")!;
    expect(t.matched_user_id).toBe(user.id);
    const r = await staff.act(agent.c, t.id, { action: "approve", channel: "email", note: "Checked the claim against the record: matches." });
    expect(r.status).toBe(200);
    expect(r.text).toContain("A one-time recovery link was sent to the account&#x27;s verified email address.");
    expect(probe.ticketRow(t.reference)!.status).toBe("approved");

    const outbox = probe.outboxByTemplate("password-reset-link");
    expect(outbox.map((o) => o.recipient)).toContain(user.email);
    const m = await nthMail(user.email, /recovery link/);
    expect(m.to).toEqual([user.email]);
    const link = linkIn(m, "/reset/");
    expect(link.startsWith(app.origin + "/reset/")).toBe(true);
    expect(m.text).toContain("Our staff never see your password");
    await outboxSettled(app);
    expect(mail.to(contact).filter((x) => /reset|recovery link/i.test(x.subject))).toEqual([]);

    const c = client();
    expect((await c.get(pathOf(link))).status).toBe(200);
    const cont = await c.post(pathOf(link), {});
    expect(cont.status).toBe(303);
    expect(cont.headers.get("location")).toBe("/reset/password");
    const newPassword = "approved copper meadow lantern";
    const set = await c.post("/reset/password", { password: newPassword, confirm: newPassword });
    expect(set.status).toBe(303);
    expect((await customer.signIn("arapprove", newPassword)).status).toBe(302);
    // Assisted recovery completed: the customer is told (NTF-02).
    await nthMail(user.email, /password was changed/);
    // The link works once.
    expect((await client().post(pathOf(link), {})).status).toBe(410);
  });

  test("approving or unlocking a ticket that matches no account is refused", async () => {
    const t = await openTicket({ accountHint: "arnobody-at-all", contactEmail: freshContact("ar4none") });
    expect(t.matched_user_id).toBeNull();
    const before = probe.outboxCount();
    for (const action of ["approve", "unlock"]) {
      const r = await staff.act(agent.c, t.id, { action, channel: "email", note: "Trying anyway with no account" });
      expect(r.status, action).toBe(409);
      expect(r.text).toContain("This ticket matches no account.");
    }
    expect(probe.ticketRow(t.reference)!.status).toBe("open");
    expect(probe.outboxCount()).toBe(before);
    expect(probe.ticketEvents(t.id).filter((e) => e.actor.startsWith("staff:"))).toEqual([]);
  });
});

// ---- Staff actions --------------------------------------------------------------------------

describe("staff actions need a note, are audited and keep the status history", () => {
  test("every action without a note is a 400 that changes nothing", async () => {
    const t = await openTicket({ accountHint: "arhist", contactEmail: freshContact("note") });
    for (const action of ["request_info", "approve", "unlock", "remove_factors", "reject", "close"]) {
      for (const note of [undefined, "", "   ", "ok"]) {
        const form: Record<string, string> = { action, channel: "email" };
        if (note !== undefined) form.note = note;
        const r = await staff.act(agent.c, t.id, form);
        expect(r.status, `${action} note=${JSON.stringify(note)}`).toBe(400);
        expect(r.text).toContain("Write a note of 3 to 2000 characters saying why.");
      }
    }
    expect(probe.ticketRow(t.reference)!.status).toBe("open");
    expect(probe.ticketEvents(t.id)).toHaveLength(1);
    expect(probe.auditEvents({ eventPrefix: "ticket_", mentioning: t.reference })).toHaveLength(1); // ticket_opened
    expect(probe.flowsOf(t.matched_user_id!)).toHaveLength(0);
  });

  test("request_info, then reject: emails the customer the note, and the history and audit log keep who did what", async () => {
    const contact = freshContact("hist");
    const t = await openTicket({ accountHint: "arhist", contactEmail: contact });
    const ask = await staff.act(agent.c, t.id, { action: "request_info", note: "Which city did you open the account in? #ask-1" });
    expect(ask.status).toBe(200);
    expect(probe.ticketRow(t.reference)!.status).toBe("waiting_customer");
    const more = await nthMail(contact, /more information/);
    expect(more.subject).toContain(t.reference);
    expect(more.text).toContain("Which city did you open the account in? #ask-1");

    const reject = await staff.act(agent.c, t.id, { action: "reject", note: "The answers did not match the record. #rej-1" });
    expect(reject.status).toBe(200);
    expect(probe.ticketRow(t.reference)!.status).toBe("rejected");
    const rejected = await nthMail(contact, new RegExp(`About your request ${t.reference}`));
    expect(rejected.text).toContain("The answers did not match the record. #rej-1");

    // Finished tickets take no more actions.
    const late = await staff.act(agent.c, t.id, { action: "close", note: "Closing after rejection" });
    expect(late.status).toBe(409);

    const events = pick(probe.ticketEvents(t.id), "actor", "action", "note", "from_status", "to_status");
    expect(events).toEqual([
      { actor: "customer", action: "opened", note: null, from_status: null, to_status: "open" },
      { actor: `staff:${agent.id}`, action: "request_info", note: "Which city did you open the account in? #ask-1", from_status: "open", to_status: "waiting_customer" },
      { actor: `staff:${agent.id}`, action: "reject", note: "The answers did not match the record. #rej-1", from_status: "waiting_customer", to_status: "rejected" },
    ]);
    const audit = probe.auditEvents({ event: ["ticket_request_info", "ticket_reject"], mentioning: t.reference });
    expect(audit.map((a) => [a.event, a.actor_type, a.actor_id, a.user_id])).toEqual([
      ["ticket_request_info", "staff", agent.id, t.matched_user_id],
      ["ticket_reject", "staff", agent.id, t.matched_user_id],
    ]);
    // Notes stay in the ticket's history, not in the audit log.
    for (const a of audit) expect(a.details).not.toContain("#ask-1");

    const page = decodeEntities(await (await agent.c.get(`/support/tickets/${t.id}`)).text());
    expect(page).toContain(`staff:${agent.id} · request info → waiting customer`);
    expect(page).toContain("#rej-1");
  });

  test("approve and close land in ticket_events and audit_events with the staff id", async () => {
    const t = await openTicket({ accountHint: "arhist", contactEmail: freshContact("hist2") });
    expect((await staff.act(agent.c, t.id, { action: "approve", channel: "email", note: "Identity checked on a call" })).status).toBe(200);
    expect((await staff.act(agent.c, t.id, { action: "close", note: "Customer is back in" })).status).toBe(200);
    const events = pick(probe.ticketEvents(t.id).filter((e) => e.actor !== "customer"), "actor", "action", "from_status", "to_status");
    expect(events).toEqual([
      { actor: `staff:${agent.id}`, action: "approve", from_status: "open", to_status: "approved" },
      { actor: `staff:${agent.id}`, action: "close", from_status: "approved", to_status: "closed" },
    ]);
    const audit = pick(probe.auditEvents({ event: ["ticket_approve", "ticket_close"], mentioning: t.reference }), "event", "actor_type", "actor_id");
    expect(audit).toEqual([
      { event: "ticket_approve", actor_type: "staff", actor_id: agent.id },
      { event: "ticket_close", actor_type: "staff", actor_id: agent.id },
    ]);
  });

  test("NTF-02: a staff unlock sends the customer 'your account was unlocked'; an approval sends the recovery link", async () => {
    await customer.resetPassword("arlocked", email("arlocked"), PASSWORD);
    // Three wrong passwords lock the account (LOCKOUT_TEMPORARY_AFTER=3 here).
    for (let i = 1; i <= 3; i++) expect((await customer.signIn("arlocked", `wrong guess number ${i}`)).status).toBe(400);
    const user = probe.userRow("arlocked")!;
    const lock = () => probe.latestLockOf(user.id)!;
    expect(lock()).toMatchObject({ reason: "failed_attempts", ended_at: null });
    expect((await customer.signIn("arlocked", PASSWORD)).status).toBe(400);

    const t = await openTicket({ accountHint: "arlocked", contactEmail: freshContact("ntf"), category: "locked" });
    const unlocked = countMail(user.email, /was unlocked/);
    const r = await staff.act(agent.c, t.id, { action: "unlock", note: "Customer called from the number on file" });
    expect(r.status).toBe(200);
    expect(r.text).toContain("Ended 1 lock(s).");
    expect(lock()).toMatchObject({ end_reason: "staff", ended_by: `staff:${agent.id}` });
    const notice = await nthMail(user.email, /was unlocked/, unlocked);
    expect(notice.text).toContain("arlocked");
    expect(notice.text).toMatch(/This wasn.t me/);
    expect(notice.text).toMatch(/\/report\/[A-Za-z0-9_-]{43}/);
    expect((await customer.signIn("arlocked", PASSWORD)).status).toBe(302);

    const t2 = await openTicket({ accountHint: "arntf", contactEmail: freshContact("ntf2"), category: "lost_email" });
    expect((await staff.act(agent.c, t2.id, { action: "approve", channel: "email", note: "Verified via video call" })).status).toBe(200);
    const link = await nthMail(email("arntf"), /recovery link/);
    expect(link.text).toMatch(/\/reset\/[A-Za-z0-9_-]{43}/);
  });
});

// ---- The acknowledgement's confirm link -----------------------------------------------------

describe("the acknowledgement's confirm link", () => {
  test("sets contact_confirmed only after the POST; GET changes nothing; the link works once", async () => {
    const contact = freshContact("confirm");
    const t = await openTicket({ contactEmail: contact });
    expect(t.contact_confirmed).toBe(0);
    const ack = await nthMail(contact, /We received your request/);
    expect(ack.subject).toContain(t.reference);
    const link = linkIn(ack, "/assisted-recovery/confirm/");
    expect(link.startsWith(app.origin)).toBe(true);

    const c = client();
    for (let i = 0; i < 2; i++) {
      const get = await c.get(pathOf(link));
      expect(get.status).toBe(200);
      expect(await get.text()).toContain("Confirm your email address");
    }
    expect(probe.ticketRow(t.reference)!).toMatchObject({ contact_confirmed: 0 });
    expect(probe.ticketRow(t.reference)!.confirm_token_hash).not.toBeNull();

    const post = await c.post(pathOf(link), {});
    expect(post.status).toBe(200);
    expect(await post.text()).toContain("Your email address is confirmed");
    expect(probe.ticketRow(t.reference)!).toMatchObject({ contact_confirmed: 1, confirm_token_hash: null });
    expect(pick(probe.ticketEvents(t.id).filter((e) => e.action === "contact_confirmed"), "actor", "action")).toEqual([
      { actor: "customer", action: "contact_confirmed" },
    ]);
    const again = await client().post(pathOf(link), {});
    expect(again.status).toBe(404);
    expect(await again.text()).toContain("isn&#x27;t valid or was already used");
    expect((await client().post(`/assisted-recovery/confirm/${"C".repeat(43)}`, {})).status).toBe(404);
  });
});

// ---- "This wasn't me" -----------------------------------------------------------------------

describe("\"This wasn't me\" from the password-changed email", () => {
  test("GET changes nothing; POST locks, signs out, cancels flows, opens a high-priority ticket; single use; only staff lift the lock", async () => {
    const user = probe.userRow("arreport")!;
    const attackerPassword = "attacker picked cobalt ravine";
    const changed = await customer.resetPassword("arreport", email("arreport"), attackerPassword);
    const reportUrl = linkIn(changed, "/report/");
    expect(changed.html).toContain(reportUrl);
    const reportPath = pathOf(reportUrl);

    // A signed-in session and an open recovery flow, both to be ended.
    const { status, c: signedIn } = await customer.signIn("arreport", attackerPassword);
    expect(status).toBe(302);
    expect((await signedIn.get("/account")).status).toBe(200);
    const pending = client();
    expect((await pending.post("/forgot-password", { identifier: "arreport" })).status).toBe(303);
    const pendingMail = await nthMail(email("arreport"), /^Reset your/, 1);
    const sessions = () => probe.sessionsOf(user.id);
    const activeFlows = () => probe.activeFlowsOf(user.id).length;
    const locks = () => probe.locksOf(user.id);
    const tickets = () => probe.ticketsOf(user.id, "report");
    expect(sessions()).toBe(1);
    expect(activeFlows()).toBe(1);

    // Opening the link (a person, or a mail scanner) changes nothing.
    for (let i = 0; i < 2; i++) {
      const get = await client().get(reportPath);
      expect(get.status).toBe(200);
      expect(await get.text()).toContain("Secure my account");
    }
    expect(sessions()).toBe(1);
    expect(activeFlows()).toBe(1);
    expect(locks()).toEqual([]);
    expect(tickets()).toEqual([]);

    const post = await client().post(reportPath, {});
    expect(post.status).toBe(200);
    const done = await post.text();
    expect(done).toContain("We&#x27;ve secured your account");
    const reference = done.replace(/<!-- -->/g, "").match(/Your reference is\s*<strong>([^<]+)<\/strong>/)?.[1];
    expect(reference).toMatch(REF_RE);

    expect(sessions()).toBe(0);
    expect((await signedIn.get("/account")).status).toBe(302);
    expect(activeFlows()).toBe(0);
    expect(locks()).toHaveLength(1);
    expect(locks()[0]).toMatchObject({ reason: "reported_compromise", locked_until: null, ended_at: null });
    const [ticket] = tickets();
    expect(ticket).toMatchObject({ reference, priority: "high", category: "compromised", status: "open", contact_email: user.email });
    const support = await supportMail(reference!);
    expect(support.subject).toBe(`[${reference}] HIGH priority assisted-recovery request: Someone else is using my account`);
    expect(support.text).toContain("arreport");
    // The recovery link sent before the report no longer works.
    expect((await client().post(pathOf(linkIn(pendingMail, "/reset/")), {})).status).toBeGreaterThanOrEqual(400);
    // The account does not sign in.
    expect((await customer.signIn("arreport", attackerPassword)).status).toBe(400);

    // Single use: the link now shows the used page (a dead end that leads to support, AR-02).
    const reuse = await client().post(reportPath, {});
    expect(reuse.status).toBe(410);
    const reused = await client().get(reportPath);
    expect(reused.status).toBe(410);
    const reusedHtml = await reused.text();
    expect(reusedHtml).toContain("This link was already used");
    expect(mainOf(reusedHtml)).toContain('href="/assisted-recovery?reason=not-me"');
    expect(locks()).toHaveLength(1);
    expect(tickets()).toHaveLength(1);

    // Self-service unlock proves the email but cannot lift this lock (its page leads to support, AR-02).
    const u = client();
    const unlocks = countMail(email("arreport"), /^Unlock/);
    expect((await u.post("/unlock", { identifier: "arreport" })).status).toBe(303);
    const unlockMail = await nthMail(email("arreport"), /^Unlock/, unlocks);
    const verified = await u.post(pathOf(linkIn(unlockMail, "/unlock/")), {});
    expect(verified.status).toBe(303);
    expect(verified.headers.get("location")).toBe("/unlock/verified");
    const supportOnly = await u.get("/unlock/verified");
    expect(supportOnly.status).toBe(200);
    const supportOnlyHtml = await supportOnly.text();
    expect(supportOnlyHtml).toContain("Our support team must unlock this account");
    expect(linksToSupport(supportOnlyHtml), "the support-only unlock page").toBe(true);
    for (const intent of ["keep", "reset"]) expect((await u.post("/unlock/verified", { intent })).status).toBe(403);
    expect(locks()[0]).toMatchObject({ ended_at: null });
    expect((await customer.signIn("arreport", attackerPassword)).status).toBe(400);

    // Staff unlock lifts it; the customer is told; the account signs in again.
    const unlockedBefore = countMail(user.email, /was unlocked/);
    const r = await staff.act(agent.c, ticket.id, { action: "unlock", note: "Owner verified on a call; password to be changed next" });
    expect(r.status).toBe(200);
    expect(locks()[0]).toMatchObject({ end_reason: "staff", ended_by: `staff:${agent.id}` });
    expect(locks()[0].ended_at).not.toBeNull();
    await nthMail(user.email, /was unlocked/, unlockedBefore);
    // The password may be known to whoever used the account: it now only leads to choosing a new
    // one, never to a session (PWD-06).
    const after = await customer.signIn("arreport", attackerPassword);
    expect(after.status).toBe(303);
    expect(after.c.cookies.has("session")).toBe(false);
    expect((await after.c.get("/reset/password?required=reported")).status).toBe(200);
  });
});

// ---- The ticket list ------------------------------------------------------------------------

describe("the support list", () => {
  function listed(html: string): { reference: string; overdue: boolean; text: string }[] {
    return [...html.matchAll(/<li class="(ticket(?: overdue)?)">([\s\S]*?)<\/li>/g)].map((m) => ({
      reference: m[2].match(/AR-[A-Z0-9]{4}-[A-Z0-9]{4}/)![0],
      overdue: m[1] === "ticket overdue",
      text: m[2],
    }));
  }

  test("filters by status and category", async () => {
    const lostFactor = await openTicket({ category: "lost_factor", contactEmail: freshContact("list") });
    const other = await openTicket({ category: "other", contactEmail: freshContact("list") });
    const closed = await openTicket({ category: "lost_factor", contactEmail: freshContact("list") });
    expect((await staff.act(agent.c, closed.id, { action: "close", note: "Duplicate of another ticket" })).status).toBe(200);

    const all = listed(await (await agent.c.get("/support")).text());
    const refs = all.map((t) => t.reference);
    expect(refs).toContain(lostFactor.reference);
    expect(refs).toContain(other.reference);
    expect(refs).not.toContain(closed.reference);

    const byCategory = listed(await (await agent.c.get("/support?category=lost_factor")).text());
    expect(byCategory.map((t) => t.reference)).toContain(lostFactor.reference);
    expect(byCategory.map((t) => t.reference)).not.toContain(other.reference);
    for (const t of byCategory) expect(t.text).toContain("I lost my phone or authenticator app");

    const byStatus = listed(await (await agent.c.get("/support?status=closed")).text());
    expect(byStatus.map((t) => t.reference)).toContain(closed.reference);
    for (const t of byStatus) expect(t.text).toContain("closed");
    expect(byStatus.map((t) => t.reference)).not.toContain(lostFactor.reference);

    const both = listed(await (await agent.c.get("/support?status=closed&category=other")).text());
    expect(both.map((t) => t.reference)).not.toContain(closed.reference);

    // Odd filter values are ignored, not errors.
    const odd = await agent.c.get("/support?status=%27%20OR%201%3D1--&category=<script>");
    expect(odd.status).toBe(200);
    expect(await odd.text()).not.toContain("<script>");
  });

  test("an open ticket past its SLA is marked OVERDUE (list and ticket page)", async () => {
    const t = await openTicket({ category: "other", contactEmail: freshContact("late") });
    const closedLate = await openTicket({ category: "other", contactEmail: freshContact("late") });
    expect((await staff.act(agent.c, closedLate.id, { action: "close", note: "Solved by phone" })).status).toBe(200);
    const before = listed(await (await agent.c.get("/support")).text()).find((x) => x.reference === t.reference)!;
    expect(before.overdue).toBe(false);
    expect(before.text).not.toContain("OVERDUE");

    await app.advanceClock(t.sla_due_at - (await portalNow(app)) + 60_000);
    agent = await staff.signIn(agent);
    const after = listed(await (await agent.c.get("/support")).text()).find((x) => x.reference === t.reference)!;
    expect(after.overdue).toBe(true);
    expect(after.text).toContain("OVERDUE");
    const page = await (await agent.c.get(`/support/tickets/${t.id}`)).text();
    expect(page).toContain("OVERDUE");
    // Finished tickets are never overdue.
    const finished = listed(await (await agent.c.get("/support?status=closed")).text()).find((x) => x.reference === closedLate.reference)!;
    expect(finished.overdue).toBe(false);
  });
});
