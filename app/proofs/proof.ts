import type { RequestContext } from "~/context.server";

/**
 * A way for someone to prove they control an account: a link or code sent to a verified contact,
 * a passkey, an authenticator code, a recovery code, or support staff's approval. Every proof has
 * the same shape, so the recovery journey (app/recovery/journey.server.ts) can say which proof
 * moves a hold from which state to which, and a new proof is one file here and one row there.
 *
 * `verify` decides; it never moves a hold or starts a session itself. Reasons are codes, worded at
 * the edge (each capability's messages.ts).
 */
export type ProofKind = "email-link" | "email-code" | "sms-code" | "passkey" | "totp" | "recovery-code" | "staff-approval";

export type ProofResult<Reason extends string = string> = { ok: true } | { ok: false; reason: Reason; attemptsLeft?: number };

export interface Proof<Subject, Input, Result extends { ok: boolean } = ProofResult> {
  readonly kinds: readonly ProofKind[];
  verify(context: RequestContext, subject: Subject, input: Input): Promise<Result>;
}
