import { describe, expect, test } from "vitest";
import { ENTRIES, TRANSITIONS, nextState, stepFor, type HoldState } from "~/recovery/journey.server";
import type { ProofKind } from "~/proofs/proof";

/**
 * The recovery journey's table (issue 11): a hold moves only forward, only by a proof the table
 * allows from where it stands (TOK-12, MFA-01, MFA-02).
 */
const ALL: ProofKind[] = ["email-link", "email-code", "sms-code", "passkey", "totp", "recovery-code", "staff-approval"];

describe("journey", () => {
  test("TOK-12 MFA-01 the transition table, proof by proof", () => {
    const table = Object.fromEntries(
      (["none", "pending", "verified", "second_factor_verified"] as const).map((from) => [from, Object.fromEntries(ALL.map((p) => [p, nextState(from, p)]))]),
    );
    expect(table).toEqual({
      none: { "email-link": "verified", "email-code": null, "sms-code": null, passkey: "second_factor_verified", totp: null, "recovery-code": null, "staff-approval": null },
      pending: { "email-link": null, "email-code": "verified", "sms-code": "verified", passkey: null, totp: null, "recovery-code": null, "staff-approval": null },
      verified: { "email-link": null, "email-code": null, "sms-code": null, passkey: "second_factor_verified", totp: "second_factor_verified", "recovery-code": "second_factor_verified", "staff-approval": null },
      second_factor_verified: { "email-link": null, "email-code": null, "sms-code": null, passkey: null, totp: null, "recovery-code": null, "staff-approval": null },
    });
  });

  test("MFA-02 no proof moves a hold backwards, and a second factor never stands in for the e-mail or SMS step", () => {
    const rank: Record<HoldState, number> = { pending: 0, verified: 1, second_factor_verified: 2 };
    for (const [from, row] of Object.entries(TRANSITIONS)) {
      for (const to of Object.values(row)) {
        if (from !== "none") expect(rank[to!]).toBeGreaterThan(rank[from as HoldState]);
      }
    }
    for (const factor of ["totp", "recovery-code"] as const) {
      expect(nextState("none", factor)).toBeNull();
      expect(nextState("pending", factor)).toBeNull();
    }
  });

  test("MFA-01 where a hold belongs: code page while pending; the second factor before the password when the account has one", () => {
    expect(stepFor("reset", "pending", true)).toBe("code");
    expect(stepFor("reset", "verified", true)).toBe("second-factor");
    expect(stepFor("reset", "verified", false)).toBe("password");
    expect(stepFor("reset", "second_factor_verified", true)).toBe("password");
    expect(stepFor("unlock", "pending", false)).toBe("code");
    expect(stepFor("unlock", "verified", true)).toBe("choose");
  });

  test("entries: a passkey alone and a passed sign-in reach the password step; an unlock's reset starts at verified", () => {
    expect(ENTRIES.passkey).toEqual({ purpose: "reset", state: "second_factor_verified" });
    expect(ENTRIES["sign-in"]).toEqual({ purpose: "reset", state: "second_factor_verified" });
    expect(ENTRIES.unlock).toEqual({ purpose: "reset", state: "verified" });
  });
});
