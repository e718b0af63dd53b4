import { describe, expect, test } from "vitest";
import { codeIn } from "../helpers/smtp-sink";
import type { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";
import { pick } from "../helpers/probes";

/**
 * One code proof for every code the portal sends (issue 11): the code that confirms a new e-mail
 * address now has the recovery code's limits too: attempts claimed before the comparison, and the
 * per-account daily budget of wrong codes (OTP-05, L7, M2, M5).
 */

const PASSWORD = "granite willow ferry compass";
const { mail, probe, customer: people } = usePortal({
  clients: { ip: "10.61" },
  env: { TRUST_PROXY: "loopback", ACCOUNT_CODE_FAILURES_PER_DAY: "6" },
  accounts: ["proofone", "prooftwo"].map((username) => ({ username, password: PASSWORD })),
});
const signIn = (username: string) => people.signedIn(username, PASSWORD);

async function startChange(c: Client, to: string): Promise<string> {
  expect((await c.post("/account/email", { intent: "start", value: to })).status).toBe(303);
  return codeIn(await mail.waitFor((m) => m.to.includes(to)));
}

describe("the code proof on contact changes", () => {
  test("L7 OTP-05 eight wrong codes sent at once cost an attempt each: five are counted, the change is dead, the right code no longer works", async () => {
    const c = await signIn("proofone");
    const code = await startChange(c, "proofone-new@example.test");
    const wrong = code === "000000" ? "111111" : "000000";
    const answers = await Promise.all(Array.from({ length: 8 }, () => c.post("/account/email", { intent: "verify", code: wrong })));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(400));
    expect((await c.post("/account/email", { intent: "verify", code })).status).toBe(400);
    const id = probe.userRow("proofone")!.id;
    expect(pick(probe.contactChangesOf(id), "status", "attempts")).toEqual([{ status: "cancelled", attempts: 5 }]);
    expect(probe.userRow("proofone")).toMatchObject({ email: "proofone@example.test" });
  });

  test("M2 M5 once the account's budget of wrong codes is spent, even the right code is answered like a wrong one", async () => {
    const c = await signIn("prooftwo");
    // Two changes of four wrong codes each spend the budget of six.
    for (const n of [1, 2]) {
      const code = await startChange(c, `prooftwo-${n}@example.test`);
      const wrong = code === "000000" ? "111111" : "000000";
      for (let i = 0; i < 4; i++) expect((await c.post("/account/email", { intent: "verify", code: wrong })).status).toBe(400);
    }
    const code = await startChange(c, "prooftwo-3@example.test");
    const res = await c.post("/account/email", { intent: "verify", code });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("tries left");
    expect(probe.userRow("prooftwo")).toMatchObject({ email: "prooftwo@example.test" });
  });
});
