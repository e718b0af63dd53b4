import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, isLoopback, loadConfig } from "~/config.server";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-config-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Keeps the development secret out of the working tree. */
const base = { DATABASE_PATH: path.join(dir, "portal.sqlite") };
const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";
/** What a production start needs (README "Deploying"). */
const PRODUCTION = {
  NODE_ENV: "production",
  SECRET_KEY: SECRET,
  APP_ORIGIN: "https://recover.example.com",
  SMTP_URL: "smtp://user:pass@mail.example.com:2525",
  SMS_PROVIDER: "webhook",
  SMS_WEBHOOK_URL: "https://sms.example.com/hook",
  SMS_WEBHOOK_SECRET: "0123456789abcdef0123",
};

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
    // H3: outside production the demo is only on loopback.
    expect(c.host).toBe("127.0.0.1");
    expect(c.appOrigin).toBe("http://localhost:3000");
    expect(c.metricsToken).toBeUndefined();
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
    const c = loadConfig({ ...base, ...PRODUCTION, TRUST_PROXY: "1", METRICS_TOKEN: SECRET });
    expect(c.isProduction).toBe(true);
    expect(c.host).toBe("0.0.0.0");
    expect(c.metricsToken).toBe(SECRET);
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
    ["SMTP_URL", { ...PRODUCTION, SMTP_URL: "" }],
    ["APP_ORIGIN", { ...PRODUCTION, APP_ORIGIN: "" }],
    // L13: https only in production, unless ALLOW_INSECURE_ORIGIN=1.
    ["APP_ORIGIN", { ...PRODUCTION, APP_ORIGIN: "http://recover.example.com" }],
    // H3: the console SMS provider stores texts in the development mailbox.
    ["SMS_PROVIDER", { ...PRODUCTION, SMS_PROVIDER: "console" }],
    ["SMS_PROVIDER", { ...PRODUCTION, SMS_PROVIDER: "" }],
    // H3: the demo (mailbox, demo accounts) never listens beyond loopback.
    ["HOST", { HOST: "0.0.0.0" }],
    ["HOST", { NODE_ENV: "test", HOST: "::" }],
    ["HOST", { NODE_ENV: "development", HOST: "192.0.2.10" }],
    ["HOST", { HOST: "portal.example.com" }],
    ["APP_ORIGIN", { APP_ORIGIN: "https://recover.example.com" }],
    ["APP_ORIGIN", { NODE_ENV: "test", APP_ORIGIN: "http://10.0.0.5:3000" }],
    ["ALLOW_INSECURE_ORIGIN", { ALLOW_INSECURE_ORIGIN: "yes" }],
    ["METRICS_TOKEN", { METRICS_TOKEN: "short" }],
    ["METRICS_TOKEN", { METRICS_TOKEN: "with spaces with spaces with spaces with spaces" }],
  ] as const)("a bad %s stops start-up with one line naming it (%j)", (name, env) => {
    const err = configError({ ...base, ...env });
    expect(err.message.startsWith(`${name}:`)).toBe(true);
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(err.message.length).toBeGreaterThan(name.length + 5);
  });
});

describe("H3 L13 where the portal may run", () => {
  test("H3 GEN-01 loopback means 127.0.0.0/8, ::1 and localhost, nothing else", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST"]) expect(isLoopback(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "[::]", "10.0.0.1", "192.168.1.1", "128.0.0.1", "::ffff:10.0.0.1", "localhost.example.com", "example.com", ""]) {
      expect(isLoopback(h), h).toBe(false);
    }
  });

  test("H3 GEN-01 outside production a loopback HOST and APP_ORIGIN are accepted", () => {
    for (const env of [{ HOST: "127.0.0.1" }, { HOST: "::1", APP_ORIGIN: "http://[::1]:3000" }, { HOST: "localhost", APP_ORIGIN: "http://127.0.0.1:3000" }, { NODE_ENV: "test", HOST: "127.0.0.1" }]) {
      expect(loadConfig({ ...base, ...env }).isProduction).toBe(false);
    }
  });

  test("H3 GEN-01 production may listen anywhere; HOST still wins", () => {
    expect(loadConfig({ ...base, ...PRODUCTION }).host).toBe("0.0.0.0");
    expect(loadConfig({ ...base, ...PRODUCTION, HOST: "10.1.2.3" }).host).toBe("10.1.2.3");
  });

  test("L13 HDR-01 TOK-07 production accepts an http APP_ORIGIN only with ALLOW_INSECURE_ORIGIN=1, and then says so in its cookies", () => {
    const c = loadConfig({ ...base, ...PRODUCTION, APP_ORIGIN: "http://localhost:8080", ALLOW_INSECURE_ORIGIN: "1" });
    expect(c.appOrigin).toBe("http://localhost:8080");
    expect(c.secureCookies).toBe(false);
    expect(configError({ ...base, ...PRODUCTION, APP_ORIGIN: "http://localhost:8080", ALLOW_INSECURE_ORIGIN: "0" }).message).toMatch(/^APP_ORIGIN: .*ALLOW_INSECURE_ORIGIN=1/);
  });

  test("H3 the refusals name the fix", () => {
    expect(configError({ ...base, HOST: "0.0.0.0" }).message).toMatch(/NODE_ENV=production/);
    expect(configError({ ...base, ...PRODUCTION, SMS_PROVIDER: "console" }).message).toMatch(/SMS_PROVIDER=webhook or twilio/);
  });
});
