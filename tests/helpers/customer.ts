import { expect } from "vitest";
import type { TestApp } from "./app";
import { Client } from "./http";
import { codeIn, linkIn, type CaughtMail, type SmtpSink } from "./smtp-sink";
import { smsCode, type Sms, type SmsReceiver } from "./sms-receiver";
import { freshTotp, totpAt } from "./totp";

/**
 * The customer driver: what a customer does in a browser without JavaScript, one named step at a
 * time (ask for a reset, read the email, type the code, follow the link, choose a password, sign
 * in, pass the second step…). Each step returns what the browser sees: the status, the Location
 * and the page text, plus the client (cookies) that took it.
 *
 * `customers(() => ({ app, mail, sms }), { ip: "10.77" })` takes a getter because test files start
 * their portal in `beforeAll`. Every new client presents its own X-Forwarded-For address under the
 * `ip` prefix (the test portals trust loopback), so per-IP limits trip only where a test means them to.
 */

export type World = { app: TestApp; mail?: SmtpSink; sms?: SmsReceiver };

/** What a browser sees of one answer. */
export type Page = { status: number; location: string | null; text: string; res: Response };

export async function page(res: Response): Promise<Page> {
  return { status: res.status, location: res.headers.get("location"), text: await res.text(), res };
}

/** The path of an absolute link, as a browser would request it. */
export const pathOf = (link: string) => new URL(link).pathname;

/** The authenticator key shown on a set-up page (customer or staff). */
export function totpKeyIn(html: string): string | undefined {
  return html.match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
}

/** The "This wasn't me" link in an email or a text message. */
export function reportLinkIn(text: string): string {
  const m = text.match(/https?:\/\/[^\s)\]]+\/report\/[A-Za-z0-9_-]{43}/);
  if (!m) throw new Error(`no report link in: ${text}`);
  return m[0];
}

/** The recovery codes listed on the page /account/security shows after "Create recovery codes". */
export function recoveryCodesIn(html: string): string[] | undefined {
  const list = html.match(/<ul[^>]*data-testid="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/)?.[1];
  return list === undefined ? undefined : [...list.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]);
}

/** HTML as a reader sees it: tags and React's text separators gone, entities decoded, spaces collapsed. */
export const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");

/** The page's own content, without the site header and footer. */
export function mainOf(html: string): string {
  const start = html.indexOf("<main");
  const end = html.indexOf("</main>");
  expect(start, "page has a <main>").toBeGreaterThanOrEqual(0);
  return html.slice(start, end);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type TicketForm = Record<string, string>;

export function customers(world: () => World, options: { ip: string; headers?: Record<string, string> }) {
  let ipCounter = 0;
  let contactCounter = 0;
  const app = () => world().app;
  const mail = () => {
    const m = world().mail;
    if (!m) throw new Error("this portal has no SMTP sink");
    return m;
  };
  const smsBox = () => {
    const s = world().sms;
    if (!s) throw new Error("this portal has no SMS receiver");
    return s;
  };

  /** A new client address under the file's prefix. */
  const nextIp = () => {
    ipCounter++;
    return `${options.ip}.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
  };
  /** A new browser (no cookies) with its own address, or the one given. */
  const client = (ip = nextIp()) => new Client(app().origin, { "x-forwarded-for": ip, ...options.headers });

  // ---- mailbox ----------------------------------------------------------------------------

  const countMail = (address: string, subject: RegExp) => mail().to(address).filter((m) => subject.test(m.subject)).length;
  /** The n-th (0-based) message to `address` whose subject matches, waiting for it if need be. */
  async function nthMail(address: string, subject: RegExp = /./, n = 0): Promise<CaughtMail> {
    const pick = () => mail().to(address).filter((m) => subject.test(m.subject))[n];
    await mail().waitFor(() => pick() !== undefined);
    return pick();
  }
  /** The newest message to `address` whose subject matches (one must have arrived). */
  function latestMail(address: string, subject: RegExp = /./): CaughtMail {
    const list = mail().to(address).filter((m) => subject.test(m.subject));
    expect(list.length, `a message to ${address} matching ${subject}`).toBeGreaterThan(0);
    return list[list.length - 1];
  }
  /** Text messages to one number, oldest first; the n-th one, waiting for it. */
  const smsTo = (phone: string) => smsBox().to(phone);
  async function nthSms(phone: string, n = 0): Promise<Sms> {
    let seen = 0;
    return smsBox().waitFor((m) => m.to === phone && seen++ === n);
  }

  // ---- steps --------------------------------------------------------------------------------

  /** Signs in with a password; returns the client and where the portal sent it. */
  async function signIn(identifier: string, password: string, c = client()) {
    const res = await c.post("/login", { identifier, password });
    const text = await res.text();
    return { c, status: res.status, location: res.headers.get("location"), text, res };
  }

  /** Signs in with a password, checked to land on /account; returns the signed-in client. */
  async function signedIn(identifier: string, password: string, c = client()): Promise<Client> {
    const r = await signIn(identifier, password, c);
    expect(r.status).toBe(302);
    expect(r.location).toBe("/account");
    return c;
  }

  /** "Forgot your password?": the request page answer (a 303 to the code page, normally). */
  async function requestReset(identifier: string, c = client()) {
    return { c, ...(await page(await c.post("/forgot-password", { identifier }))) };
  }

  /**
   * Asks for a reset and waits for the email it sends to `address`; returns the browser, the
   * email and its code and link.
   */
  async function requestResetMail(identifier: string, address: string, c = client()) {
    const before = countMail(address, /^Reset your/);
    const asked = await requestReset(identifier, c);
    expect(asked.status).toBe(303);
    const m = await nthMail(address, /^Reset your/, before);
    return { c, mail: m, code: codeIn(m), link: linkIn(m, "/reset/") };
  }

  /** "Resend" on the code page, checked to be answered 200; returns the new email to `address`. */
  async function resendMail(c: Client, address: string, path = "/forgot-password/code", subject = /^Reset your/): Promise<CaughtMail> {
    const before = countMail(address, subject);
    expect((await c.post(path, { intent: "resend" })).status).toBe(200);
    return nthMail(address, subject, before);
  }

  /** Opens a reset or unlock link (GET, changes nothing), then presses Continue (the POST the page makes). */
  async function followLink(link: string, c = client()) {
    const landing = await page(await c.get(pathOf(link)));
    const cont = landing.status === 200 ? await page(await c.post(pathOf(link), {})) : landing;
    return { c, landing, ...cont };
  }

  /** Presses Continue on a link's page straight away (what a browser re-posting the form does). */
  async function continueLink(link: string, c = client()) {
    return { c, ...(await page(await c.post(pathOf(link), {}))) };
  }

  /**
   * "Forgot your password?", then Continue on the email link: returns the browser holding the
   * email-verified reset (checked to be on its way to /reset/password).
   */
  async function resetByLink(username: string, address: string, c = client()): Promise<Client> {
    const { link } = await requestResetMail(username, address, c);
    const cont = await c.post(pathOf(link), {});
    expect(cont.status).toBe(303);
    expect(cont.headers.get("location")).toBe("/reset/password");
    return c;
  }

  /**
   * Gives imported accounts a password the way a customer would: a reset by username, the email
   * link, the new password (checked to end on /reset/done), and its "password was changed" notice,
   * so none arrives during a test. Accounts sharing an address take turns, so each reads its own email.
   */
  async function givePasswords(usernames: string[], password: string, emailOf = (u: string) => `${u}@example.test`) {
    const turns = new Map<string, string[]>();
    for (const u of usernames) turns.set(emailOf(u), [...(turns.get(emailOf(u)) ?? []), u]);
    await Promise.all(
      [...turns].map(async ([address, names]) => {
        for (const u of names) {
          const changed = countMail(address, /password was changed/);
          const done = await setPassword(await resetByLink(u, address), password);
          expect(done.location, u).toBe("/reset/done");
          await nthMail(address, /password was changed/, changed);
        }
      }),
    );
  }

  /** Types the emailed/texted code on the code page (`/forgot-password/code` or `/unlock/code`). */
  async function enterCode(c: Client, code: string, path = "/forgot-password/code") {
    return page(await c.post(path, { intent: "verify", code }));
  }

  /** Chooses a new password on /reset/password. */
  async function setPassword(c: Client, password: string, confirm = password, extra: Record<string, string> = {}) {
    return page(await c.post("/reset/password", { password, confirm, ...extra }));
  }

  /** A complete reset by email link, ending on /reset/done; returns the "password was changed" email. */
  async function resetPassword(username: string, address: string, newPassword: string): Promise<CaughtMail> {
    const changed = countMail(address, /password was changed/);
    const c = await resetByLink(username, address);
    const done = await setPassword(c, newPassword);
    expect(done.status, `${username}: ${done.text.slice(0, 500)}`).toBe(303);
    return nthMail(address, /password was changed/, changed);
  }

  /** The second step (at /login/verify or /reset/second-factor): an authenticator or recovery code. */
  async function completeSecondFactor(c: Client, intent: "totp" | "recovery", value: string, path = "/login/verify") {
    return page(await c.post(path, { intent, value }));
  }

  /** Password, then a fresh authenticator code: a signed-in client (checked to land on /account). */
  async function signInWithTotp(username: string, password: string, secret: string, c = client()): Promise<Client> {
    const first = await signIn(username, password, c);
    expect(first.location).toBe("/login/verify");
    const done = await completeSecondFactor(c, "totp", await freshTotp(app(), secret));
    expect(done.status).toBe(303);
    expect(done.location).toBe("/account");
    return c;
  }

  /** Sets up the authenticator app on a recently signed-in client; returns the key read from the page. */
  async function enrolTotp(c: Client, options: { fresh?: boolean } = {}): Promise<string> {
    const setup = await page(await c.get("/account/totp"));
    expect(setup.status).toBe(200);
    const secret = totpKeyIn(setup.text);
    expect(secret, "TOTP key on the setup page").toBeTruthy();
    const code = options.fresh ? await freshTotp(app(), secret!) : await totpAt(app(), secret!);
    const done = await c.post("/account/totp", { code });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/account/security");
    return secret!;
  }

  /** "Create recovery codes" on /account/security; returns the page and the codes it lists. */
  async function createRecoveryCodes(c: Client) {
    const p = await page(await c.post("/account/security", { intent: "regenerate" }));
    return { ...p, codes: recoveryCodesIn(p.text) };
  }

  /** Changes the email of a signed-in client with the code sent to the new address. */
  async function changeEmail(c: Client, to: string): Promise<void> {
    const n = countMail(to, /Confirm your new/);
    expect((await c.post("/account/email", { intent: "start", value: to })).status).toBe(303);
    const code = codeIn(await nthMail(to, /Confirm your new/, n));
    const done = await c.post("/account/email", { intent: "verify", code });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/account?changed=email");
  }

  /** True while the client's session still opens /account. */
  async function isSignedIn(c: Client): Promise<boolean> {
    const res = await c.get("/account");
    await res.arrayBuffer();
    return res.status === 200;
  }

  /** "My account is locked": the request page answer. */
  async function requestUnlock(identifier: string, c = client()) {
    return { c, ...(await page(await c.post("/unlock", { identifier }))) };
  }

  /** Asks for an unlock and waits for its email; returns the browser, the email, its code and link. */
  async function requestUnlockMail(identifier: string, address: string, c = client()) {
    const before = countMail(address, /^Unlock/);
    const asked = await requestUnlock(identifier, c);
    expect(asked.status).toBe(303);
    expect(asked.location).toBe("/unlock/code");
    const m = await nthMail(address, /^Unlock/, before);
    return { c, mail: m, code: codeIn(m), link: linkIn(m, "/unlock/") };
  }

  /** "Forgot your username?": the request page answer. */
  async function forgotUsername(identifier: string, c = client()) {
    return { c, ...(await page(await c.post("/forgot-username", { identifier }))) };
  }

  // ---- assisted recovery --------------------------------------------------------------------

  /** A contact address no other test uses. */
  const freshContact = (tag = "c") => `${tag}${++contactCounter}.${Date.now() % 100000}@contact.test`;

  /** A complete, valid assisted-recovery form, with `over` replacing fields. */
  function ticketForm(over: TicketForm = {}): TicketForm {
    return {
      website: "",
      fullName: "Ada Lovelace",
      accountHint: "",
      contactEmail: freshContact(),
      contactPhone: "",
      category: "locked",
      details: "I typed the wrong password too often.",
      lastSignInClaim: "last week",
      openedClaim: "2019",
      consent: "yes",
      ...over,
    };
  }

  /** Submits the assisted-recovery form; returns the answer and the reference it shows (if any). */
  async function submitTicket(form: TicketForm, c = client()): Promise<{ res: Response; html: string; reference: string | null }> {
    const res = await c.post("/assisted-recovery", form);
    const html = await res.text();
    const reference = html.replace(/<!-- -->/g, "").match(/Your reference is\s*<strong>([^<]+)<\/strong>/)?.[1] ?? null;
    return { res, html, reference };
  }

  return {
    nextIp,
    client,
    countMail,
    nthMail,
    latestMail,
    smsTo,
    nthSms,
    smsCode,
    signIn,
    signedIn,
    requestReset,
    requestResetMail,
    resendMail,
    followLink,
    continueLink,
    resetByLink,
    givePasswords,
    enterCode,
    setPassword,
    resetPassword,
    completeSecondFactor,
    signInWithTotp,
    enrolTotp,
    createRecoveryCodes,
    changeEmail,
    isSignedIn,
    requestUnlock,
    requestUnlockMail,
    forgotUsername,
    freshContact,
    ticketForm,
    submitTicket,
  };
}

export type Customers = ReturnType<typeof customers>;
