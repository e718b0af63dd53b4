import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DEMO_ACCOUNTS } from "~/accounts/demo.server";
import { needsRehash, verifyPassword } from "~/accounts/password-hash.server";
import { checkPassword, loadPasswordLanguage } from "~/accounts/password-policy";
import { loadConfig } from "~/config.server";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-demo-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The demo accounts are seeded with hashes computed ahead (no policy check, no hashing at start):
// these tests are what keeps those constants honest.
describe("demo accounts", () => {
  test.each(DEMO_ACCOUNTS)("$username: the stored hash is its printed password's, at today's Argon2id parameters", async (demo) => {
    expect(await verifyPassword(demo.passwordHash, demo.password)).toBe(true);
    expect(await verifyPassword(demo.passwordHash, `${demo.password}x`)).toBe(false);
    expect(needsRehash(demo.passwordHash)).toBe(false);
  });

  test.each(DEMO_ACCOUNTS)("PWD-05 $username: the password passes the default policy, as if chosen on the reset page", async (demo) => {
    const config = loadConfig({ DATABASE_PATH: path.join(dir, "portal.sqlite") });
    await loadPasswordLanguage("en");
    const verdict = checkPassword(demo.password, config.password, { username: demo.username, email: demo.email, appName: config.appName });
    expect(verdict.reasons).toEqual([]);
    expect(verdict.ok).toBe(true);
  });
});
