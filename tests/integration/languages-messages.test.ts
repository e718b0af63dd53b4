import { describe, expect, test } from "vitest";
import { pathOf, page } from "../helpers/customer";
import { usePortal } from "../helpers/portal";
import { staffDriver, type StaffLogin } from "../helpers/staff";
import { linkIn, type CaughtMail } from "../helpers/smtp-sink";
import { smsCode } from "../helpers/sms-receiver";
import type { Client } from "../helpers/http";

/**
 * Messages in the customer's language (issue 16, docs/decisions/0022), black-box over real HTTP
 * with a real SMTP sink and a real SMS receiver:
 * - messages to an account go out in the account's language (`users.locale`), whatever the
 *   language of the page that caused them; an account without one gets DEFAULT_LOCALE (en), so a
 *   reset asked for on a Spanish page is in English until the account has a language;
 * - completing a reset on a page makes that page's language the account's; the "password changed"
 *   notice goes in the language the account had, or (without one) in the language just set;
 * - messages about a ticket to its contact go out in the language of the page it was written on;
 * - Arabic e-mails are right to left, with codes and links isolated left to right.
 */

const PASSWORD = "amber harbour violin thistle";
const NEW_PASSWORD = "copper lantern meadow violin";
const STAFF_PASSWORD = "staff pass phrase for languages";
const SMS_SECRET = "sms-webhook-secret-for-language-tests-0123";

const { app, sms, probe, customer } = usePortal({
  clients: { ip: "10.97" },
  env: { TRUST_PROXY: "loopback", SMS_ALLOWED_COUNTRIES: "US", LIMIT_TICKETS_PER_IP_PER_HOUR: "100" },
  sms: { secret: SMS_SECRET, path: "/sms" },
  accounts: [
    { username: "lmpref", password: PASSWORD },
    { username: "lmnopref" },
    { username: "lmsms", phone: "+12025550161", password: PASSWORD },
    { username: "lmarabic", password: PASSWORD },
  ],
  setup: async () => {
    await staff.addAs("agent", "agent@languages.test");
    agent = await staff.enrol("agent@languages.test");
  },
});
const { client, signedIn, nthMail, countMail, setPassword, freshContact, ticketForm } = customer;
const staff = staffDriver(() => app, { client: () => customer.client(), password: STAFF_PASSWORD });
let agent: StaffLogin;

const htmlTag = (html: string) => /<html[^>]*>/.exec(html)?.[0] ?? "";

/** A browser whose pages are in `lng` (the switcher's cookie, set by `?lng=`). */
async function browserIn(lng: "en" | "es" | "ar"): Promise<Client> {
  const c = client();
  const p = await page(await c.get(`/forgot-password?lng=${lng}`));
  expect(htmlTag(p.text)).toContain(`lang="${lng}"`);
  return c;
}

/** Stores a preferred language on the account as its owner does: signed in, the switcher. */
async function prefer(username: string, lng: "es" | "ar") {
  const c = await signedIn(username, PASSWORD);
  expect((await c.post("/language", { lng, returnTo: "/account" })).status).toBe(303);
  expect(probe.userRow(username)?.locale).toBe(lng);
}

/** Asks for a reset by username on `c`'s page and returns the e-mail it sends (subject matching `subject`). */
async function askReset(c: Client, username: string, subject: RegExp): Promise<CaughtMail> {
  const address = `${username}@example.test`;
  const before = countMail(address, subject);
  const asked = await c.post("/forgot-password", { identifier: username });
  expect(asked.status).toBe(303);
  return nthMail(address, subject, before);
}

/** Follows the reset link and chooses a new password on `c`'s page; checked to end on /reset/done. */
async function completeReset(c: Client, link: string) {
  const cont = await c.post(pathOf(link), {});
  expect(cont.status).toBe(303);
  expect(cont.headers.get("location")).toBe("/reset/password");
  const done = await setPassword(c, NEW_PASSWORD);
  expect(done.location).toBe("/reset/done");
}

describe("I18N messages to an account follow the account's language", () => {
  test("an account whose preferred language is Spanish gets a Spanish \"password changed\" notice when the reset was done on an English page", async () => {
    await prefer("lmpref", "es");
    const c = await browserIn("en");
    const reset = await askReset(c, "lmpref", /^Restablezca su contraseña de /);
    expect(reset.text).toContain("Alguien pidió restablecer la contraseña de la cuenta lmpref");
    expect(htmlTag(reset.html)).toContain('lang="es"');
    const address = "lmpref@example.test";
    const before = countMail(address, /^Se cambió su contraseña de /);
    await completeReset(c, linkIn(reset, "/reset/"));
    const notice = await nthMail(address, /^Se cambió su contraseña de /, before);
    expect(notice.text).toContain("La contraseña de la cuenta lmpref se cambió el");
    expect(notice.text).toContain("Este es un mensaje de seguridad automático de");
    expect(notice.text).not.toContain("Your password was changed");
    // Completing the reset on an English page made English the account's language from now on.
    expect(probe.userRow("lmpref")?.locale).toBe("en");
  });

  test("a reset asked for on a Spanish page for an account without a language is in English (DEFAULT_LOCALE); completing it there makes the account Spanish and the notice is Spanish", async () => {
    expect(probe.userRow("lmnopref")?.locale ?? null).toBeNull();
    const c = await browserIn("es");
    const reset = await askReset(c, "lmnopref", /^Reset your .* password$/);
    expect(htmlTag(reset.html)).toContain('lang="en"');
    expect(reset.text).toContain("Someone asked to reset the password of the account lmnopref");
    const address = "lmnopref@example.test";
    const before = countMail(address, /^Se cambió su contraseña de /);
    await completeReset(c, linkIn(reset, "/reset/"));
    expect(probe.userRow("lmnopref")?.locale).toBe("es");
    const notice = await nthMail(address, /^Se cambió su contraseña de /, before);
    expect(htmlTag(notice.html)).toContain('lang="es"');
    expect(notice.text).toContain("Cerramos la sesión de la cuenta en todas partes.");
  });

  test("the SMS code text is in the account's language (Spanish)", async () => {
    await prefer("lmsms", "es");
    const c = await browserIn("en");
    const seen = sms.to("+12025550161").length;
    expect((await c.post("/forgot-password", { identifier: "+12025550161" })).status).toBe(303);
    let n = 0;
    const text = await sms.waitFor((m) => m.to === "+12025550161" && n++ === seen);
    expect(text.body).toMatch(/: su código para restablecer la contraseña es \d{6}\. Caduca en \d+ minutos\. ¿No lo pidió\? Ignore este mensaje\.$/);
    expect(smsCode(text)).toMatch(/^\d{6}$/);
  });

  test("an Arabic e-mail is right to left, with the code and the link in left-to-right spans", async () => {
    await prefer("lmarabic", "ar");
    const c = await browserIn("en");
    const reset = await askReset(c, "lmarabic", /^أعد تعيين كلمة مرور /);
    const tag = htmlTag(reset.html);
    expect(tag).toContain('lang="ar"');
    expect(tag).toContain('dir="rtl"');
    expect(reset.html).toMatch(/رمزك: <span dir="ltr">\d{6}<\/span>/);
    const link = linkIn(reset, "/reset/");
    expect(reset.html).toContain(`<span dir="ltr">${link.replace(/&/g, "&amp;")}</span>`);
    expect(reset.html).toContain('<span dir="ltr">lmarabic</span>');
    expect(reset.text).toContain("هذه رسالة أمان تلقائية من");
  });
});

describe("I18N messages about a ticket follow the language it was written in", () => {
  /** Opens a ticket on a page in `lng`; returns its acknowledgement and stored row. */
  async function openTicket(lng: "en" | "es" | "ar") {
    const c = await browserIn(lng);
    const contact = freshContact(`lm${lng}`);
    const res = await c.post("/assisted-recovery", ticketForm({ contactEmail: contact }));
    expect(res.status).toBe(200);
    const ticket = probe.ticketsByContact(contact)[0]!;
    const ack = await nthMail(contact, new RegExp(ticket.reference.replace(/[-]/g, "\\-")));
    return { contact, ack, ticket: ticket as typeof ticket & { locale: string | null } };
  }

  test("a ticket acknowledgement is in the page's language for a contact without an account, and each language's subject differs", async () => {
    const [en, es, ar] = await Promise.all([openTicket("en"), openTicket("es"), openTicket("ar")]);
    expect(es.ticket.locale).toBe("es");
    expect(en.ack.subject).toBe(`We received your request ${en.ticket.reference}`);
    expect(es.ack.subject).toBe(`Hemos recibido su solicitud ${es.ticket.reference}`);
    expect(ar.ack.subject).toBe(`تلقّينا طلبك ${ar.ticket.reference}`);
    expect(htmlTag(es.ack.html)).toContain('lang="es"');
    expect(es.ack.text).toContain(`Su referencia es ${es.ticket.reference}.`);
    expect(htmlTag(ar.ack.html)).toContain('dir="rtl"');
    expect(ar.ack.html).toContain(`<span dir="ltr">${ar.ticket.reference}</span>`);
    const subjects = [en, es, ar].map((t) => t.ack.subject.replace(t.ticket.reference, "REF"));
    expect(new Set(subjects).size).toBe(3);
  });

  test("the console (in English) shows the ticket's language, and a question to the customer goes out in it", async () => {
    const { contact, ticket } = await openTicket("es");
    const view = await staff.viewTicket(agent.c, ticket.id);
    expect(view.status).toBe(200);
    expect(htmlTag(view.text)).toContain('lang="en"');
    expect(view.text).toMatch(/<dt>Language<\/dt><dd>Spanish<\/dd>/);
    await staff.act(agent.c, ticket.id, { intent: "claim" });
    const before = countMail(contact, /^Necesitamos un poco más de información/);
    expect((await staff.act(agent.c, ticket.id, { action: "request_info", note: "¿Cuándo abrió la cuenta? PREGUNTA-7" })).status).toBe(200);
    const question = await nthMail(contact, /^Necesitamos un poco más de información/, before);
    expect(question.subject).toBe(`Necesitamos un poco más de información (${ticket.reference})`);
    expect(question.text).toContain("PREGUNTA-7");
    expect(question.text).toContain(`Sobre su solicitud ${ticket.reference}, nuestro equipo de asistencia pregunta:`);
  });
});
