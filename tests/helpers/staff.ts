import { expect } from "vitest";
import type { TestApp } from "./app";
import type { Client } from "./http";
import { page, totpKeyIn } from "./customer";
import { probes } from "./probes";
import { freshTotp, totpAt } from "./totp";

/**
 * The staff driver: enrolling a support agent (the `staff add` CLI, as an operator does), signing in
 * to /support with password + authenticator, opening a ticket and acting on it. Steps return what
 * the browser sees (status, Location, page text).
 *
 * `staffDriver(() => app, { client, password })`: `client` makes a new browser (usually the
 * customer driver's, so each has its own address); `password` is every test agent's password.
 */

export type StaffLogin = { c: Client; secret: string; id: string; email: string; lastCode: string };

export function staffDriver(getApp: () => TestApp, options: { client: () => Client; password: string }) {
  const app = getApp;
  const probe = probes(getApp);

  /**
   * `staff add --role admin` for each address (name = the local part), checked to succeed. Admins,
   * because these tests were written when every staff member could do everything (the staff page
   * included); `addAs` makes staff with another role.
   */
  async function add(...emails: string[]) {
    return addAs("admin", ...emails);
  }

  /** `staff add --role ROLE` for each address (name = the local part), checked to succeed. */
  async function addAs(role: "agent" | "supervisor" | "admin", ...emails: string[]) {
    const results = await Promise.all(
      emails.map((e) => app().cli(["staff", "add", "--email", e, "--name", e.split("@")[0], "--role", role, "--password-stdin"], options.password)),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
  }

  /** The password step at /support/login. */
  function passwordStep(email: string, c = options.client(), password = options.password): Promise<Response> {
    return c.post("/support/login", { email, password });
  }

  /**
   * First sign-in of a new staff member: the password, then the authenticator set-up page (reads
   * the key and confirms a current code). `fresh` moves the portal clock on a step first.
   */
  async function enrol(email: string, options_: { fresh?: boolean; c?: Client } = {}): Promise<StaffLogin> {
    const c = options_.c ?? options.client();
    const res = await passwordStep(email, c);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/support/setup");
    const setup = await page(await c.get("/support/setup"));
    expect(setup.status).toBe(200);
    const secret = totpKeyIn(setup.text);
    expect(secret, "TOTP key on the setup page").toBeTruthy();
    const code = options_.fresh ? await freshTotp(app(), secret!) : await totpAt(app(), secret!);
    const done = await c.post("/support/setup", { code });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/support");
    return { c, secret: secret!, id: probe.staffRow(email)!.id, email, lastCode: code };
  }

  /**
   * A fresh sign-in: password, then a code from the next time step (never a replay). Returns the
   * answers as they came, without judging them.
   */
  async function trySignIn(s: { email: string; secret: string }, c = options.client()): Promise<{ c: Client; res: Response; code?: string }> {
    await app().advanceClock(30_000);
    const pw = await passwordStep(s.email, c);
    if (pw.status !== 303) return { c, res: pw };
    const code = await totpAt(app(), s.secret);
    return { c, res: await c.post("/support/verify", { code }), code };
  }

  /** A fresh sign-in that must succeed: lands on /support. */
  async function signIn<S extends { email: string; secret: string }>(s: S, c = options.client()): Promise<S & { c: Client; lastCode: string }> {
    await app().advanceClock(30_000);
    const pw = await passwordStep(s.email, c);
    expect(pw.status).toBe(303);
    expect(pw.headers.get("location")).toBe("/support/verify");
    const code = await totpAt(app(), s.secret);
    const done = await c.post("/support/verify", { code });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/support");
    return { ...s, c, lastCode: code };
  }

  /** The ticket screen (a `ticket_viewed` audit event). */
  async function viewTicket(c: Client, ticketId: string) {
    return page(await c.get(`/support/tickets/${ticketId}`));
  }

  /** An action on a ticket ("approve", "unlock", "remove_factors", "reject", …) with its note and fields. */
  async function act(c: Client, ticketId: string, form: Record<string, string>) {
    return page(await c.post(`/support/tickets/${ticketId}`, form));
  }

  return { add, addAs, passwordStep, enrol, trySignIn, signIn, viewTicket, act };
}

export type StaffDriver = ReturnType<typeof staffDriver>;
