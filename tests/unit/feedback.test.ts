import { describe, expect, test } from "vitest";
import type { RequestContext } from "~/context.server";
import { feedbackToken, readFeedbackToken, FEEDBACK_TTL_MS } from "~/recovery/feedback.server";
import { postSignInPath, withNext } from "~/sign-in/next";
import { feedbackCsv, summariseFeedback } from "~/support/reports.server";

/** Issue 15: the post-sign-in allow-list, the signed feedback tokens, and the feedback statistics. */

let now = Date.UTC(2026, 0, 1);
const ctx = (key = "k".repeat(40)) => ({ services: { config: { secretKey: Buffer.from(key) }, clock: { now: () => now } } }) as unknown as RequestContext;

describe("post-sign-in destinations", () => {
  test("only the fixed local paths pass, exactly", () => {
    for (const ok of ["/account", "/account/security", "/account/totp", "/account/phone"]) expect(postSignInPath(ok)).toBe(ok);
    for (const bad of [null, "", "//evil.example", "https://evil.example/account", "/account/security/../../support", "/account?x=1", "/Account", "/support", "javascript:alert(1)", " /account"]) {
      expect(postSignInPath(bad), String(bad)).toBeNull();
    }
    expect(withNext("/login/verify", "/account/totp")).toBe("/login/verify?next=%2Faccount%2Ftotp");
    expect(withNext("/login/verify", null)).toBe("/login/verify");
  });
});

describe("feedback tokens", () => {
  test("a token names its subject, method and purpose; any change to it, another key or its age refuses it", () => {
    const token = feedbackToken(ctx(), { kind: "recovery", subjectId: "abcdefghijklmnopqrstuvwx", method: "code", purpose: "reset" });
    expect(readFeedbackToken(ctx(), token)).toMatchObject({ kind: "recovery", subjectId: "abcdefghijklmnopqrstuvwx", method: "code", purpose: "reset" });
    expect(readFeedbackToken(ctx("z".repeat(40)), token)).toBeNull();
    for (const forged of [token.replace(".code.", ".link."), token.replace(".reset.", ".unlock."), token.replace("r.", "t."), token.slice(0, -1), `${token}0`, "", "r.a.b.c.d.e"]) {
      expect(readFeedbackToken(ctx(), forged), forged).toBeNull();
    }
    now += FEEDBACK_TTL_MS.recovery;
    expect(readFeedbackToken(ctx(), token)).toBe("expired");
    const ticket = feedbackToken(ctx(), { kind: "ticket", subjectId: "abcdefghijklmnopqrstuvwx", method: "assisted", purpose: "ticket" });
    expect(readFeedbackToken(ctx(), ticket)).toMatchObject({ kind: "ticket", purpose: "ticket" });
  });
});

describe("feedback statistics", () => {
  test("answers, average to one decimal, distribution 1–5 and by method", () => {
    const s = summariseFeedback([
      { method: "link", score: 5 },
      { method: "link", score: 4 },
      { method: "code", score: 2 },
    ]);
    expect([s.answers, s.average]).toEqual([3, "3.7"]);
    expect(s.distribution.map((d) => d.count)).toEqual([0, 1, 0, 1, 1]);
    expect(s.byMethod.find((m) => m.method === "link")).toMatchObject({ answers: 2, average: "4.5" });
    expect(s.byMethod.find((m) => m.method === "sms")).toMatchObject({ answers: 0, average: "—" });
    expect(summariseFeedback([]).average).toBe("—");
  });

  test("the export escapes a comment a spreadsheet would run", () => {
    const csv = feedbackCsv([{ created_at: Date.UTC(2026, 0, 2, 3, 4), kind: "ticket", purpose: "ticket", method: "assisted", score: 1, comment: '=cmd|"/c calc"!A1' }]);
    expect(csv).toBe('answered,kind,purpose,method,score,comment\r\n2026-01-02T03:04Z,ticket,ticket,assisted,1,"\'=cmd|""/c calc""!A1"\r\n');
  });
});
