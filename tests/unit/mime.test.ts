import { simpleParser, type AddressObject } from "mailparser";
import MailComposer from "nodemailer/lib/mail-composer";
import { describe, expect, test } from "vitest";
import { composeMessage, type MimeMessage } from "~/delivery/mime.server";
import { renderEmail } from "../../emails/index";

/**
 * The e-mail thread composes each message's MIME itself (docs/decisions/0023). Every message must
 * read, to a mail client (mailparser here), exactly as the one nodemailer's MailComposer built
 * before: the same sender, recipient, subject, Message-ID, headers, text and HTML.
 */

/** A real reset e-mail in `locale`, from `appName` to `username`. */
const resetMail = (appName: string, username: string, code: string, locale?: string) =>
  renderEmail("password-reset", {
    appName,
    username,
    link: `https://portal.example/reset/${"t".repeat(43)}`,
    code,
    minutes: 30,
    codeMinutes: 10,
    supportUrl: "https://portal.example/assisted-recovery",
    ...(locale ? { locale } : {}),
  });
const reset = resetMail("Account Recovery", "alice", "123456");
const spanish = resetMail("Recuperación de cuentas", "josé", "654321", "es");
const arabic = resetMail("استعادة الحساب", "layla", "111222", "ar");

const HEADERS = { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" };

const cases: [string, MimeMessage][] = [
  ["English, plain sender", { from: "no-reply@portal.example", to: "alice@example.test", ...pick(reset), messageId: "<a1@portal.example>", headers: HEADERS }],
  ["English, named sender", { from: "Account Recovery <no-reply@portal.example>", to: "alice@example.test", ...pick(reset), messageId: "<a2@portal.example>", headers: HEADERS }],
  ["Spanish, accented sender name", { from: "Recuperación de cuentas <no-reply@portal.example>", to: "jose@example.test", ...pick(spanish), messageId: "<a3@portal.example>", headers: HEADERS }],
  ["Arabic", { from: "استعادة الحساب <no-reply@portal.example>", to: "layla@example.test", ...pick(arabic), messageId: "<a4@portal.example>", headers: HEADERS }],
  ["sender name with specials", { from: '"Acme, Inc. (Support)" <help@acme.example>', to: "bob@example.test", ...pick(reset), messageId: "<a5@portal.example>", headers: HEADERS }],
  [
    "long subject, international domain",
    { from: "no-reply@portal.example", to: "user@bücher.example", subject: `${"Reset your password now ".repeat(6)}ñ`, text: "Hello\nworld.\n.\nA line with a dot alone above.", html: "<p>Hello</p>", messageId: "<a6@portal.example>", headers: HEADERS },
  ],
];

function pick(m: { subject: string; text: string; html: string }) {
  return { subject: m.subject, text: m.text, html: m.html };
}

const addresses = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => ({ name: v.name, address: v.address })));

async function asRead(raw: string | Buffer) {
  const m = await simpleParser(raw);
  return {
    from: addresses(m.from),
    to: addresses(m.to),
    subject: m.subject,
    messageId: m.messageId,
    autoSubmitted: m.headers.get("auto-submitted"),
    suppress: m.headers.get("x-auto-response-suppress"),
    text: m.text,
    html: m.html,
  };
}

function nodemailerBuilt(m: MimeMessage): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer({ from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId, headers: m.headers, textEncoding: "base64" })
      .compile()
      .build((err, message) => (err ? reject(err) : resolve(message))),
  );
}

describe("composeMessage", () => {
  test.each(cases)("%s: reads exactly as nodemailer's MailComposer message", async (_name, message) => {
    const ours = composeMessage(message);
    expect(await asRead(ours.raw)).toEqual(await asRead(await nodemailerBuilt(message)));
    expect(ours.envelope.to).toHaveLength(1);
  });

  test("the envelope carries the bare addresses (an international domain in ASCII); lines are CRLF and at most 76 characters", () => {
    const composed = composeMessage(cases[5]![1]);
    expect(composed.envelope).toEqual({ from: "no-reply@portal.example", to: ["user@xn--bcher-kva.example"] });
    const lines = composed.raw.split("\r\n");
    expect(composed.raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(78);
    expect(composed.raw).toMatch(/^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/m);
  });

  test("EML-01: a line break in a subject or an address is refused, never written as a header", () => {
    const base = cases[0]![1];
    expect(() => composeMessage({ ...base, subject: "Hi\r\nBcc: victim@example.test" })).toThrow(/line break/);
    expect(() => composeMessage({ ...base, messageId: "<x@y>\r\nBcc: victim@example.test" })).toThrow(/line break/);
    expect(() => composeMessage({ ...base, to: "alice@example.test\r\nBcc: victim@example.test" })).toThrow(/line break/);
    expect(() => composeMessage({ ...base, from: "Support <help@portal.example>\nBcc: victim@example.test" })).toThrow(/line break/);
    expect(() => composeMessage({ ...base, to: "alice@example.test, victim@example.test" })).toThrow(/one e-mail address/);
  });
});
