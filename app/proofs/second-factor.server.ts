import type { User } from "~/accounts/accounts.server";
import { checkTypedFactor, type FactorOutcome } from "~/factors/second-step.server";
import type { Proof, ProofKind } from "./proof";

/**
 * The typed second factors as proofs: an authenticator (TOTP) code or a recovery code, checked by
 * factors/ with their own replay and attempt rules (MFA-04, M2). Sign-in and the reset journey
 * both use them; the passkey proof is the WebAuthn assertion checked in factors/webauthn.
 */
export type TypedFactorInput = { intent: string; value: string };

export const typedFactorProof: Proof<User, TypedFactorInput, FactorOutcome> = {
  kinds: ["totp", "recovery-code"],
  verify: (context, user, input) => checkTypedFactor(context, user, input.intent, input.value),
};

/** Which proof a typed second-factor form submitted. */
export function typedFactorKind(intent: string): ProofKind {
  return intent === "totp" ? "totp" : "recovery-code";
}
