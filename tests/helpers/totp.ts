import { generate } from "otplib";
import type { TestApp } from "./app";

/** The portal's own "now": tests move its clock, and authenticator codes must follow it. */
export async function portalNow(app: TestApp): Promise<number> {
  const res = await fetch(app.origin + "/__test/clock", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceMs: 0 }) });
  return ((await res.json()) as { now: number }).now;
}

/** The code for the portal's current step, shifted by `offsetSteps` 30-second steps. */
export async function totpAt(app: TestApp, secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor((await portalNow(app)) / 1000) + offsetSteps * 30 });
}

/** Moves the portal on one step first, so the code is never a replay of an earlier one. */
export async function freshTotp(app: TestApp, secret: string): Promise<string> {
  await app.advanceClock(30_000);
  return totpAt(app, secret);
}
