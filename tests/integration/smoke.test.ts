import { describe, expect, test } from "vitest";
import { Client } from "../helpers/http";
import { usePortal } from "../helpers/portal";

const { app, mail } = usePortal();

describe("smoke", () => {
  test("CLI-created user signs in and the outbox delivers a test mail", async () => {
    const add = await app.cli(["user", "add", "--username", "carol", "--email", "carol@example.test", "--password-stdin"], "granite willow ferry compass\n");
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const c = new Client(app.origin);
    const res = await c.post("/login", { identifier: "carol", password: "granite willow ferry compass" });
    expect(res.status).toBe(302);
    expect((await c.get("/account")).status).toBe(200);
    await app.cli(["mail", "test", "--to", "ops@example.test"]);
    const m = await mail.waitFor((x) => x.to.includes("ops@example.test"));
    expect(m.subject).toContain("test message");
  });
});
