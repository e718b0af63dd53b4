import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "~/config.server";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-config-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Keeps the development secret out of the working tree. */
const base = { DATABASE_PATH: path.join(dir, "portal.sqlite") };
const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  test("defaults", () => {
    const c = loadConfig({ ...base });
    expect(c.env).toBe("development");
    expect(c.isProduction).toBe(false);
    expect(c.port).toBe(3000);
    expect(c.appOrigin).toBe("http://localhost:3000");
    expect(c.secureCookies).toBe(false);
    expect(c.databasePath).toBe(path.join(dir, "portal.sqlite"));
    expect(c.smtpUrl).toBeUndefined();
    expect(c.mailFrom).toBe("Account Recovery <no-reply@localhost>");
    expect(c.supportEmail).toBe("support@localhost");
    expect(c.sms.provider).toBe("console");
    expect(c.trustProxy).toBe(false);
    expect(c.redisUrl).toBeUndefined();
    expect(c.testHooks).toBe(false);
    expect(c.session).toEqual({ idleMs: 15 * 60_000, absoluteMs: 8 * 3_600_000 });
    expect(c.password).toMatchObject({ minLength: 15, minScore: 3 });
    // Development: a key is generated and kept next to the database, so it is stable.
    expect(c.secretKey.length).toBe(32);
    expect(fs.existsSync(path.join(dir, "secret.key"))).toBe(true);
    expect(loadConfig({ ...base }).secretKey.equals(c.secretKey)).toBe(true);
  });

  test("DATABASE_PATH defaults to ./data/portal.sqlite; APP_ORIGIN follows PORT", () => {
    const c = loadConfig({ SECRET_KEY: SECRET, PORT: "4123" });
    expect(c.databasePath).toBe(path.resolve("./data/portal.sqlite"));
    expect(c.appOrigin).toBe("http://localhost:4123");
  });

  test("valid overrides are honoured", () => {
    const c = loadConfig({
      ...base,
      NODE_ENV: "production",
      SECRET_KEY: SECRET,
      APP_ORIGIN: "https://recover.example.com",
      SMTP_URL: "smtp://user:pass@mail.example.com:2525",
      TRUST_PROXY: "1",
    });
    expect(c.isProduction).toBe(true);
    expect(c.appOrigin).toBe("https://recover.example.com");
    expect(c.secureCookies).toBe(true);
    expect(c.smtpUrl).toBe("smtp://user:pass@mail.example.com:2525");
    expect(c.trustProxy).toBe(1);
  });

  test.each([
    ["PORT", { PORT: "abc" }],
    ["APP_ORIGIN", { APP_ORIGIN: "https://recover.example.com/portal" }],
    ["APP_ORIGIN", { APP_ORIGIN: "not a url" }],
    ["SMTP_URL", { SMTP_URL: "http://x" }],
    ["TRUST_PROXY", { TRUST_PROXY: "true" }],
    ["SECRET_KEY", { NODE_ENV: "production" }],
    ["TEST_HOOKS", { NODE_ENV: "production", SECRET_KEY: SECRET, TEST_HOOKS: "1" }],
  ] as const)("a bad %s stops start-up with one line naming it (%j)", (name, env) => {
    const err = configError({ ...base, ...env });
    expect(err.message.startsWith(`${name}:`)).toBe(true);
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(err.message.length).toBeGreaterThan(name.length + 5);
  });
});
