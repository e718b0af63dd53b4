import type { RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { checkTotp, spendRecoveryCode } from "./factors.server";

/**
 * The second step, at sign-in and during a reset (MFA-01): a typed authenticator or recovery
 * code. The "password passed" cookie lives in sign-in/pending.server.ts; the reset's hold in
 * recovery/reset.server.ts.
 */
export type FactorOutcome = { ok: true; recoveryCodesLeft: number | null } | { ok: false; reason: "wrong-totp" | "wrong-recovery-code" | "no-method" };

/** A typed second factor: an authenticator code or a recovery code. */
export async function checkTypedFactor(context: RequestContext, user: User, intent: string, value: string): Promise<FactorOutcome> {
  if (intent === "totp") {
    return (await checkTotp(context, user.id, value.slice(0, 16))) ? { ok: true, recoveryCodesLeft: null } : { ok: false, reason: "wrong-totp" };
  }
  if (intent === "recovery") {
    const used = await spendRecoveryCode(context, user, value.slice(0, 64));
    return used.ok ? { ok: true, recoveryCodesLeft: used.remaining } : { ok: false, reason: "wrong-recovery-code" };
  }
  return { ok: false, reason: "no-method" };
}
