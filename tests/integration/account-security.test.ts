import { describe, expect, test } from "vitest";
import { RELAXED_LIMITS } from "../helpers/app";
import { readable } from "../helpers/customer";
import { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";

/**
 * The account security page (issue 15) over real HTTP, on both engines: recent activity with
 * device and approximate network, "This wasn't me" from a signed-in owner, the device list with
 * sign-out of one or every other session, changing the password while signed in, and the
 * new-device sign-in notice with its opt-out.
 */

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "copper lantern meadow falcon";
const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
const NAMES = ["asact", "asreport", "asdev", "asdevother", "aspwd", "asnew"];
const email = (u: string) => `${u}@example.test`;

const { app, probe, customer, mail } = usePortal({
  clients: { ip: "10.71" },
  env: { ...RELAXED_LIMITS },
  accounts: NAMES.map((username) => ({ username })),
  setup: async () => void (await customer.givePasswords(NAMES, PASSWORD)),
});
const { countMail, nthMail } = customer;

/** A browser with its own address and user agent. */
const browser = (ip: string, ua = FIREFOX_WINDOWS) => new Client(app.origin, { "x-forwarded-for": ip, "user-agent": ua });
const signedIn = (username: string, c: Client, password = PASSWORD) => customer.signedIn(username, password, c);
const userId = (username: string) => probe.userRow(username)!.id;
const sessionIdOf = (c: Client) => (c.cookies.get("session") ?? "").split(".")[0];
const isSignedIn = async (c: Client) => (await c.get("/account")).status === 200;
const securityPage = async (c: Client) => {
  const res = await c.get("/account/security");
  expect(res.status).toBe(200);
  return readable(await res.text());
};
const NEW_DEVICE = /^New sign-in to your/;

describe("account security page", () => {
  test("recent activity lists a failed sign-in with its device and a masked network, never the full address", async () => {
    const owner = await signedIn("asact", browser("10.71.200.10"));
    const stranger = browser("10.71.77.45", FIREFOX_WINDOWS);
    const refused = await stranger.post("/login", { identifier: "asact", password: "not the password at all" });
    expect(refused.status).toBe(400);
    const text = await securityPage(owner);
    expect(text).toContain("Recent activity");
    expect(text).toMatch(/Failed sign-in attempt\s*failed/);
    expect(text).toContain("Firefox on Windows");
    expect(text).toContain("network 10.71.77.x");
    expect(text).not.toContain("10.71.77.45");
    expect(text).not.toContain("10.71.200.10");
    // Newest first: the failed attempt comes before the owner's own sign-in.
    expect(text.indexOf("Failed sign-in attempt")).toBeLessThan(text.indexOf("Signed in"));
  });

  test("\"This wasn't me\" ends the other sessions, cancels recovery, opens a high-priority ticket, is audited, and leads to a password change", async () => {
    const owner = await signedIn("asreport", browser("10.71.201.1"));
    const other = await signedIn("asreport", browser("10.71.201.2", CHROME_ANDROID));
    await customer.requestReset("asreport");
    expect(probe.activeFlowsOf(userId("asreport")).length).toBeGreaterThan(0);
    const event = probe.auditEvents({ event: "sign_in", outcome: "success", userId: userId("asreport") }).at(-1)!;

    // Someone else's event is not this owner's to report.
    const foreign = probe.auditEvents({ event: "sign_in", userId: userId("asact") })[0];
    expect((await owner.post("/account/security", { intent: "report-activity", seq: String(foreign.seq) })).status).toBe(404);

    const res = await owner.post("/account/security", { intent: "report-activity", seq: String(event.seq) });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/account\/password\?reported=/);
    const reference = decodeURIComponent(location.split("=")[1]);
    expect(await isSignedIn(owner)).toBe(true);
    expect(await isSignedIn(other)).toBe(false);
    expect(probe.activeFlowsOf(userId("asreport"))).toHaveLength(0);
    expect(probe.openLocksOf(userId("asreport"))).toHaveLength(0);
    const ticket = probe.ticketRow(reference)!;
    expect(ticket).toMatchObject({ category: "compromised", priority: "high", matched_user_id: userId("asreport"), contact_email: email("asreport") });
    expect(ticket.details).toContain(`audit #${event.seq}`);
    const audited = probe.auditEvents({ event: "activity_reported", userId: userId("asreport") });
    expect(audited.filter((e) => e.outcome === "success")).toHaveLength(1);
    expect(JSON.parse(audited[0].details)).toMatchObject({ reported_seq: Number(event.seq), ticket: reference, sessions_revoked: 1 });
    // A second press on the same event secures again but opens no second ticket.
    const again = await owner.post("/account/security", { intent: "report-activity", seq: String(event.seq) });
    expect(again.headers.get("location")).toBe(location);
    expect(probe.ticketsOf(userId("asreport"))).toHaveLength(1);
    const page = readable(await (await owner.get(location)).text());
    expect(page).toContain(reference);
    expect(page).toContain("Current password");
  });

  test("devices: the list marks this one, signs out one other, refuses another account's session, and signs out every other", async () => {
    const here = await signedIn("asdev", browser("10.71.202.1"));
    const second = await signedIn("asdev", browser("10.71.202.2", CHROME_ANDROID));
    const third = await signedIn("asdev", browser("10.71.202.3"));
    const stranger = await signedIn("asdevother", browser("10.71.202.9"));
    const text = await securityPage(here);
    expect(text.match(/This device/g)).toHaveLength(1);
    expect(text).toContain("Chrome on Android");
    expect(text).toContain("network 10.71.202.x");
    expect(text).not.toContain("10.71.202.2");

    // Another account's session id is never touched: the DELETE is conditional on this account.
    const res = await here.post("/account/security", { intent: "sign-out-device", id: sessionIdOf(stranger) });
    expect(res.headers.get("location")).toContain("done=not-found");
    expect(probe.sessionExists(sessionIdOf(stranger))).toBe(true);
    expect(await isSignedIn(stranger)).toBe(true);

    const one = await here.post("/account/security", { intent: "sign-out-device", id: sessionIdOf(second) });
    expect(one.status).toBe(303);
    expect(one.headers.get("location")).toContain("done=signed-out");
    expect(await isSignedIn(second)).toBe(false);
    expect(await isSignedIn(third)).toBe(true);
    expect((await here.post("/account/security", { intent: "sign-out-device", id: sessionIdOf(here) })).status).toBe(400);

    const all = await here.post("/account/security", { intent: "sign-out-others" });
    expect(all.status).toBe(303);
    expect(await isSignedIn(third)).toBe(false);
    expect(await isSignedIn(here)).toBe(true);
    expect(await isSignedIn(stranger)).toBe(true);
    expect(probe.sessionsOf(userId("asdev"))).toBe(1);
    expect(probe.auditEvents({ event: "session_ended", userId: userId("asdev"), outcome: "success" })).toHaveLength(1);
    expect(probe.auditEvents({ event: "session_ended", userId: userId("asdev"), outcome: "failure" })).toHaveLength(1);
    expect(JSON.parse(probe.auditEvents({ event: "other_sessions_ended", userId: userId("asdev") })[0].details)).toMatchObject({ sessions_revoked: 1 });
  });

  test("change password: a wrong current password is refused and counted, a weak one refused, success ends the others and sends the notice", async () => {
    const here = await signedIn("aspwd", browser("10.71.203.1"));
    const other = await signedIn("aspwd", browser("10.71.203.2"));
    const form = await here.get("/account/password");
    const html = await form.text();
    expect(html).toMatch(/name="current"[^>]*autocomplete="current-password"/i);
    expect(html).toMatch(/name="password"[^>]*autocomplete="new-password"/i);

    const failuresBefore = probe.auditEvents({ event: "sign_in", outcome: "failure", userId: userId("aspwd") }).length;
    const wrong = await here.post("/account/password", { current: "not my password at all", password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(wrong.status).toBe(400);
    expect(readable(await wrong.text())).toContain("That isn't your current password.");
    const failures = probe.auditEvents({ event: "sign_in", outcome: "failure", userId: userId("aspwd") });
    expect(failures.length).toBe(failuresBefore + 1);
    expect(JSON.parse(failures.at(-1)!.details)).toMatchObject({ reason: "bad_credentials", failures: 1 });

    const weak = await here.post("/account/password", { current: PASSWORD, password: "password123", confirm: "password123" });
    expect(weak.status).toBe(400);
    expect(readable(await weak.text())).toContain("Use at least");
    expect(await isSignedIn(other)).toBe(true);

    const changed = countMail(email("aspwd"), /password was changed/);
    const ok = await here.post("/account/password", { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account/security?done=password-changed");
    expect(await isSignedIn(here)).toBe(true);
    expect(await isSignedIn(other)).toBe(false);
    const notice = await nthMail(email("aspwd"), /password was changed/, changed);
    expect(notice.text).toMatch(/\/report\/[A-Za-z0-9_-]{43}/);
    expect(notice.text).toContain("signed the account out everywhere else");
    expect(probe.auditEvents({ event: "password_changed", userId: userId("aspwd") })).toHaveLength(1);
    await signedIn("aspwd", browser("10.71.203.3"), NEW_PASSWORD);
    // The old password is in the history now.
    const again = await here.post("/account/password", { current: NEW_PASSWORD, password: PASSWORD, confirm: PASSWORD });
    expect(again.status).toBe(400);
    expect(readable(await again.text())).toContain("you haven't used before");
  });

  test("new-device notice: once for a new browser, not for a known one, not when turned off; security-critical notices still sent", async () => {
    const address = email("asnew");
    const first = await signedIn("asnew", browser("10.71.204.1"));
    // The account's very first sign-in announces nothing: there is no earlier browser.
    expect(countMail(address, NEW_DEVICE)).toBe(0);
    const laptop = browser("10.71.204.2", CHROME_ANDROID);
    await signedIn("asnew", laptop);
    const notice = await nthMail(address, NEW_DEVICE, 0);
    expect(notice.text).toContain("Chrome on Android");
    expect(notice.text).toContain("10.71.204.x");
    expect(notice.text).not.toContain("10.71.204.2");
    expect(notice.text).toMatch(/\/report\/[A-Za-z0-9_-]{43}/);
    // The same browser again (its device cookie names this account): no second notice.
    await laptop.post("/logout", {});
    await signedIn("asnew", laptop);
    await signedIn("asnew", first);
    expect(probe.outboxByTemplate("new-device-sign-in").filter((m) => m.recipient === address)).toHaveLength(1);

    // Turned off: a new browser signs in silently.
    const off = await first.post("/account/security", { intent: "new-device-notices", newDeviceNotices: "off" });
    expect(off.status).toBe(303);
    expect(probe.userRow("asnew")).toMatchObject({ new_device_notices: 0 });
    expect(readable(await (await first.get("/account/security?done=notices-off")).text())).toContain("can't be turned off");
    const phone = await signedIn("asnew", browser("10.71.204.3"));
    expect(probe.outboxByTemplate("new-device-sign-in").filter((m) => m.recipient === address)).toHaveLength(1);
    expect(probe.auditEvents({ event: "new_device_notices_changed", userId: userId("asnew") })).toHaveLength(1);

    // A security-critical notice is sent all the same.
    const changed = countMail(address, /password was changed/);
    const ok = await phone.post("/account/password", { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(ok.status).toBe(303);
    await nthMail(address, /password was changed/, changed);
    expect(mail.to(address).filter((m) => NEW_DEVICE.test(m.subject))).toHaveLength(1);
  });
});
