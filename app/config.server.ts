import fs from "node:fs";
import { LOCALES, type Locale } from "~/i18n/config";
import net from "node:net";
import path from "node:path";
import crypto from "node:crypto";
import { z } from "zod";
import { NO_BRAND, primaryColorProblem, readLogo, type Brand } from "./brand.server";

/**
 * Every environment variable the portal reads, parsed once at start-up.
 * A bad value stops the process with one line that names the variable (see DESIGN.md §5).
 */

const minutes = (def: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(def);
const count = (def: number) => z.coerce.number().int().min(1).max(1_000_000).default(def);

const origin = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute http(s) origin such as https://recover.example.com" });
    return z.NEVER;
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname !== "/" || url.search || url.hash || url.username) {
    ctx.addIssue({ code: "custom", message: "must be an origin only (scheme, host and optional port), no path" });
    return z.NEVER;
  }
  return url.origin;
});

const smtpUrl = z.string().refine((v) => {
  try {
    return ["smtp:", "smtps:"].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, "must look like smtp://user:pass@host:port or smtps://…");

const emailish = z.string().min(3).max(320);
const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\/./.test(v), "must be a postgres:// URL");
const oneLine = (max: number) => z.string().max(max).regex(/^\P{Cc}+$/u, "must be one line of text");
const onOff = (def: boolean) =>
  z
    .enum(["0", "1", "true", "false"])
    .default(def ? "1" : "0")
    .transform((v) => v === "1" || v === "true");

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().optional(),
  APP_ORIGIN: origin.optional(),
  APP_NAME: z.string().min(1).max(60).default("Account Recovery"),
  // Issue 16: the language of a page when neither the address, the cookie nor the browser names one we have.
  DEFAULT_LOCALE: z.enum(LOCALES).default("en"),
  DATABASE_PATH: z.string().min(1).default("./data/portal.sqlite"),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SECRET_KEY: z.string().min(32, "must be at least 32 characters (use `openssl rand -hex 32`)").optional(),
  SMTP_URL: smtpUrl.optional(),
  MAIL_FROM: emailish.default("Account Recovery <no-reply@localhost>"),
  SUPPORT_EMAIL: emailish.default("support@localhost"),
  SMS_PROVIDER: z.enum(["console", "webhook", "twilio"]).default("console"),
  SMS_WEBHOOK_URL: z.url().optional(),
  SMS_WEBHOOK_SECRET: z.string().min(16).optional(),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  TWILIO_API_URL: z.url().default("https://api.twilio.com"),
  TRUST_PROXY: z.string().optional(),
  SMS_ALLOWED_COUNTRIES: z
    .string()
    .regex(/^[A-Z]{2}(,[A-Z]{2})*$/, "must be comma-separated two-letter country codes such as US,CA")
    .optional(),
  SMS_HOURLY_BUDGET: count(500),
  LIMIT_SMS_PER_NUMBER_PER_HOUR: count(3),
  LIMIT_SMS_PER_NUMBER_PER_DAY: count(10),
  DEFAULT_PHONE_REGION: z.string().regex(/^[A-Z]{2}$/, "must be a two-letter country code such as US").default("US"),
  REDIS_URL: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SESSION_IDLE_MINUTES: minutes(15, 24 * 60),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(24).default(8),
  RESET_LINK_TTL_MINUTES: minutes(30, 60),
  RECOVERY_ANSWER_MS: z.coerce.number().int().min(0).max(2000).default(5),
  RESET_SESSION_MINUTES: minutes(10, 60),
  CODE_MAX_ATTEMPTS: count(5),
  ACCOUNT_CODE_FAILURES_PER_DAY: count(20),
  RESEND_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: count(5),
  LIMIT_REQUESTS_PER_IP_PER_15MIN: count(20),
  LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: count(5),
  LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: count(20),
  LIMIT_LINK_FAILURES_PER_IP_PER_15MIN: count(30),
  LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE: count(10),
  LOCKOUT_DELAY_AFTER: count(5),
  LOCKOUT_TEMPORARY_AFTER: count(10),
  LOCKOUT_TEMPORARY_MINUTES: minutes(15, 24 * 60),
  LOCKOUT_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 7).default(24),
  LOCKOUT_PERMANENT_AFTER: z.coerce.number().int().min(2).max(100).default(50),
  LOCKOUT_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  SUSPICIOUS_NETWORKS_PER_HOUR: z.coerce.number().int().min(1).max(1000).default(5),
  TICKET_SLA_HIGH_HOURS: z.coerce.number().int().min(1).max(24 * 14).default(4),
  TICKET_SLA_NORMAL_HOURS: z.coerce.number().int().min(1).max(24 * 14).default(24),
  ESCALATION_EMAIL: emailish.optional(),
  ESCALATION_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  FOUR_EYES: z
    .string()
    .default("remove_factors,lift_compromise_lock,change_contact")
    .transform((v) => (v.trim() === "" || v.trim() === "none" ? [] : v.split(",").map((a) => a.trim())))
    .pipe(z.array(z.enum(["remove_factors", "lift_compromise_lock", "change_contact"]))),
  LIMIT_TICKETS_PER_IP_PER_HOUR: count(5),
  LIMIT_TICKETS_PER_CONTACT_PER_DAY: count(3),
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(64).default(15),
  PASSWORD_MIN_LENGTH_WITH_MFA: z.coerce.number().int().min(8).max(64).default(8),
  PASSWORD_MAX_LENGTH: z.coerce.number().int().min(64).max(1024).default(256),
  PASSWORD_MIN_SCORE: z.coerce.number().int().min(0).max(4).default(3),
  PASSWORD_HISTORY: z.coerce.number().int().min(0).max(24).default(5),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  OUTBOX_POLL_MS: z.coerce.number().int().min(20).max(60_000).default(500),
  OUTBOX_BACKOFF_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(2000),
  OUTBOX_WORKER: onOff(true),
  OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  // Webhooks (issue 17, docs/decisions/0020-webhooks.md).
  WEBHOOK_ALLOW_PRIVATE: onOff(false),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(120),
  // Provisioning API (issue 17, docs/decisions/0021-provisioning-api.md): requests per key per minute.
  LIMIT_API_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(600),
  SHUTDOWN_DELAY_SECONDS: z.coerce.number().int().min(0).max(300).default(0),
  TEST_HOOKS: z.enum(["0", "1"]).default("0"),
  ALLOW_INSECURE_ORIGIN: z.enum(["0", "1"]).default("0"),
  METRICS_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters (use `openssl rand -hex 32`)")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
  // Branding (issue 15): all optional; without them the portal looks as it always did.
  BRAND_LOGO_PATH: z.string().optional(),
  BRAND_PRIMARY_COLOR: z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour such as #0b57d0 (#rrggbb)").optional(),
  SUPPORT_HOURS: oneLine(120).optional(),
  SUPPORT_CONTACT: oneLine(200).optional(),
  LEGAL_URL: z.string().refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), "must be an absolute http(s) URL such as https://example.com/legal").optional(),
  LEGAL_LINK_TEXT: oneLine(60).default("Legal and privacy"),
});

export type Config = {
  env: "development" | "production" | "test";
  isProduction: boolean;
  port: number;
  host: string;
  appOrigin: string;
  appName: string;
  defaultLocale: Locale;
  secureCookies: boolean;
  databasePath: string;
  /** postgres://…: PostgreSQL instead of the SQLite file at databasePath (several app nodes). */
  databaseUrl: string | null;
  databasePoolSize: number;
  secretKey: Buffer;
  smtpUrl: string | undefined;
  mailFrom: string;
  supportEmail: string;
  sms: {
    provider: "console" | "webhook" | "twilio";
    webhookUrl?: string;
    webhookSecret?: string;
    twilio: { accountSid?: string; authToken?: string; from?: string; apiUrl: string };
    allowedCountries: string[];
    hourlyBudget: number;
    perNumberPerHour: number;
    perNumberPerDay: number;
  };
  trustProxy: string | number | boolean;
  defaultPhoneRegion: string;
  redisUrl: string | undefined;
  logLevel: string;
  session: { idleMs: number; absoluteMs: number };
  recovery: {
    linkTtlMs: number;
    resetSessionMs: number;
    codeMaxAttempts: number;
    accountCodeFailuresPerDay: number;
    resendCooldownMs: number;
    /** REQ-02: a recovery request's answer leaves no sooner than this after its work began. */
    answerFloorMs: number;
  };
  limits: {
    requestsPerIdentifierPerHour: number;
    requestsPerIpPer15Min: number;
    messagesPerDestinationPerHour: number;
    messagesPerDestinationPerDay: number;
    linkFailuresPerIpPer15Min: number;
    loginFailuresPerIpPerMinute: number;
  };
  lockout: {
    delayAfter: number;
    temporaryAfter: number;
    temporaryMs: number;
    maxMs: number;
    permanentAfter: number;
    delayMs: number;
    /** Recovery requests for one account from more networks than this within an hour lock it (suspicious_activity). */
    suspiciousNetworksPerHour: number;
  };
  tickets: {
    slaHighMs: number;
    slaNormalMs: number;
    perIpPerHour: number;
    perContactPerDay: number;
    /** Where SLA escalations are e-mailed (ESCALATION_EMAIL, default SUPPORT_EMAIL). */
    escalationEmail: string;
    /** How often a process that runs the outbox worker looks for tickets past their SLA. */
    escalationSweepMs: number;
    /** Risky staff actions that need a second staff member's approval (FOUR_EYES; "none" turns it off). */
    fourEyes: readonly ("remove_factors" | "lift_compromise_lock" | "change_contact")[];
  };
  password: { minLength: number; minLengthWithMfa: number; maxLength: number; minScore: number; history: number };
  /**
   * `worker`: this process sends queued messages (OUTBOX_WORKER=0 makes a web-only node).
   * `leaseMs`: how long a worker's claim on a message holds before another worker may send it.
   */
  outbox: { maxAttempts: number; pollMs: number; backoffBaseMs: number; worker: boolean; leaseMs: number };
  /**
   * Webhooks: `allowPrivate` lifts the SSRF address rules (WEBHOOK_ALLOW_PRIVATE); `timeoutMs` per
   * delivery attempt; `maxAttempts` per message (default 120: about 25 h at the 15-minute backoff cap,
   * so an endpoint down for 24 h is disabled before its messages are given up).
   */
  webhooks: { allowPrivate: boolean; timeoutMs: number; maxAttempts: number };
  /** Provisioning API: `perKeyPerMinute` requests per API key per minute (LIMIT_API_PER_KEY_PER_MINUTE). */
  api: { perKeyPerMinute: number };
  testHooks: boolean;
  /**
   * After SIGTERM, how long the node keeps serving while /readyz answers 503 "draining", so a load
   * balancer stops sending it requests before it closes its listener (SHUTDOWN_DELAY_SECONDS).
   */
  shutdownDelayMs: number;
  /** Bearer token for /metrics; without it /metrics is not served (M8). */
  metricsToken: string | undefined;
  /** Logo, primary colour, support hours and contact, legal link (app/brand.server.ts); NO_BRAND when unset. */
  brand: Brand;
};

export class ConfigError extends Error {}

function parseTrustProxy(raw: string | undefined): string | number | boolean {
  if (raw === undefined || raw === "" || raw === "false" || raw === "none") return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (raw === "true") {
    throw new ConfigError("TRUST_PROXY: 'true' would trust any X-Forwarded-For; give a hop count or addresses");
  }
  return raw; // comma-separated addresses/subnets or express names such as "loopback"
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** localhost, 127.0.0.0/8 or ::1 (a URL hostname may come in brackets). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost") return true;
  const family = net.isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? "ipv4" : "ipv6");
}

const DEMO_ONLY =
  "outside production the portal serves demo accounts and /dev/mailbox, so it only runs on loopback (127.0.0.1, ::1, localhost); set NODE_ENV=production to deploy";

/** Reads and validates the environment. Throws ConfigError with a one-line message. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in schema.shape && v !== undefined && v !== ""),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? "environment");
    throw new ConfigError(`${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === "production";
  const appOrigin = e.APP_ORIGIN ?? `http://localhost:${e.PORT}`;
  // Outside production nobody but this machine may reach the demo (H3).
  const host = e.HOST ?? (isProduction ? "0.0.0.0" : "127.0.0.1");

  if (isProduction && e.TEST_HOOKS === "1") {
    throw new ConfigError("TEST_HOOKS: test hooks cannot be enabled when NODE_ENV=production");
  }
  if (isProduction && !e.SECRET_KEY) {
    throw new ConfigError("SECRET_KEY: required when NODE_ENV=production (use `openssl rand -hex 32`)");
  }
  if (isProduction && !e.SMTP_URL) {
    throw new ConfigError("SMTP_URL: required when NODE_ENV=production (smtp://user:pass@host:port or smtps://…)");
  }
  if (isProduction && !e.APP_ORIGIN) {
    throw new ConfigError("APP_ORIGIN: required when NODE_ENV=production (the public origin, e.g. https://recover.example.com)");
  }
  // L13: links, cookies (Secure, __Host-) and HSTS all follow APP_ORIGIN's scheme.
  if (isProduction && !appOrigin.startsWith("https:") && e.ALLOW_INSECURE_ORIGIN !== "1") {
    throw new ConfigError(
      "APP_ORIGIN: must be https:// when NODE_ENV=production (behind a TLS-terminating proxy give the public https:// origin; ALLOW_INSECURE_ORIGIN=1 accepts plain http, without Secure cookies or HSTS)",
    );
  }
  if (isProduction && e.SMS_PROVIDER === "console") {
    throw new ConfigError("SMS_PROVIDER: the console provider shows texts in the development mailbox; set SMS_PROVIDER=webhook or twilio when NODE_ENV=production");
  }
  if (!isProduction && !isLoopback(host)) {
    throw new ConfigError(`HOST: ${host.replace(/\s/g, " ")} is not a loopback address; ${DEMO_ONLY}`);
  }
  if (!isProduction && !isLoopback(new URL(appOrigin).hostname)) {
    throw new ConfigError(`APP_ORIGIN: ${appOrigin} is not a loopback origin; ${DEMO_ONLY}`);
  }
  if (e.SMS_PROVIDER === "webhook" && (!e.SMS_WEBHOOK_URL || !e.SMS_WEBHOOK_SECRET)) {
    throw new ConfigError("SMS_WEBHOOK_URL: webhook SMS needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET");
  }
  if (e.SMS_PROVIDER === "twilio" && (!e.TWILIO_ACCOUNT_SID || !e.TWILIO_AUTH_TOKEN || !e.TWILIO_FROM)) {
    throw new ConfigError("TWILIO_ACCOUNT_SID: twilio SMS needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM");
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  const brand = loadBrand(e, isProduction);

  const databasePath = path.resolve(e.DATABASE_PATH);
  const secretKey = e.SECRET_KEY
    ? crypto.createHash("sha256").update(e.SECRET_KEY).digest()
    : developmentSecret(path.dirname(databasePath));

  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host,
    appOrigin,
    appName: e.APP_NAME,
    defaultLocale: e.DEFAULT_LOCALE,
    secureCookies: appOrigin.startsWith("https:"),
    databasePath,
    databaseUrl: e.DATABASE_URL ?? null,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    secretKey,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    supportEmail: e.SUPPORT_EMAIL,
    sms: {
      provider: e.SMS_PROVIDER,
      webhookUrl: e.SMS_WEBHOOK_URL,
      webhookSecret: e.SMS_WEBHOOK_SECRET,
      twilio: {
        accountSid: e.TWILIO_ACCOUNT_SID,
        authToken: e.TWILIO_AUTH_TOKEN,
        from: e.TWILIO_FROM,
        apiUrl: e.TWILIO_API_URL,
      },
      allowedCountries: (e.SMS_ALLOWED_COUNTRIES ?? e.DEFAULT_PHONE_REGION).split(","),
      hourlyBudget: e.SMS_HOURLY_BUDGET,
      perNumberPerHour: e.LIMIT_SMS_PER_NUMBER_PER_HOUR,
      perNumberPerDay: e.LIMIT_SMS_PER_NUMBER_PER_DAY,
    },
    trustProxy,
    defaultPhoneRegion: e.DEFAULT_PHONE_REGION,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    session: { idleMs: e.SESSION_IDLE_MINUTES * 60_000, absoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000 },
    recovery: {
      linkTtlMs: e.RESET_LINK_TTL_MINUTES * 60_000,
      resetSessionMs: e.RESET_SESSION_MINUTES * 60_000,
      codeMaxAttempts: e.CODE_MAX_ATTEMPTS,
      accountCodeFailuresPerDay: e.ACCOUNT_CODE_FAILURES_PER_DAY,
      resendCooldownMs: e.RESEND_COOLDOWN_SECONDS * 1000,
      answerFloorMs: e.RECOVERY_ANSWER_MS,
    },
    limits: {
      requestsPerIdentifierPerHour: e.LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR,
      requestsPerIpPer15Min: e.LIMIT_REQUESTS_PER_IP_PER_15MIN,
      messagesPerDestinationPerHour: e.LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR,
      messagesPerDestinationPerDay: e.LIMIT_MESSAGES_PER_DESTINATION_PER_DAY,
      linkFailuresPerIpPer15Min: e.LIMIT_LINK_FAILURES_PER_IP_PER_15MIN,
      loginFailuresPerIpPerMinute: e.LIMIT_LOGIN_FAILURES_PER_IP_PER_MINUTE,
    },
    lockout: {
      delayAfter: e.LOCKOUT_DELAY_AFTER,
      temporaryAfter: e.LOCKOUT_TEMPORARY_AFTER,
      temporaryMs: e.LOCKOUT_TEMPORARY_MINUTES * 60_000,
      maxMs: e.LOCKOUT_MAX_HOURS * 3_600_000,
      permanentAfter: e.LOCKOUT_PERMANENT_AFTER,
      delayMs: e.LOCKOUT_DELAY_SECONDS * 1000,
      suspiciousNetworksPerHour: e.SUSPICIOUS_NETWORKS_PER_HOUR,
    },
    tickets: {
      slaHighMs: e.TICKET_SLA_HIGH_HOURS * 3_600_000,
      slaNormalMs: e.TICKET_SLA_NORMAL_HOURS * 3_600_000,
      perIpPerHour: e.LIMIT_TICKETS_PER_IP_PER_HOUR,
      perContactPerDay: e.LIMIT_TICKETS_PER_CONTACT_PER_DAY,
      escalationEmail: e.ESCALATION_EMAIL ?? e.SUPPORT_EMAIL,
      escalationSweepMs: e.ESCALATION_SWEEP_SECONDS * 1000,
      fourEyes: e.FOUR_EYES,
    },
    password: {
      minLength: e.PASSWORD_MIN_LENGTH,
      minLengthWithMfa: e.PASSWORD_MIN_LENGTH_WITH_MFA,
      maxLength: e.PASSWORD_MAX_LENGTH,
      minScore: e.PASSWORD_MIN_SCORE,
      history: e.PASSWORD_HISTORY,
    },
    shutdownDelayMs: e.SHUTDOWN_DELAY_SECONDS * 1000,
    outbox: { maxAttempts: e.OUTBOX_MAX_ATTEMPTS, pollMs: e.OUTBOX_POLL_MS, backoffBaseMs: e.OUTBOX_BACKOFF_BASE_MS, worker: e.OUTBOX_WORKER, leaseMs: e.OUTBOX_LEASE_SECONDS * 1000 },
    webhooks: { allowPrivate: e.WEBHOOK_ALLOW_PRIVATE, timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000, maxAttempts: e.WEBHOOK_MAX_ATTEMPTS },
    api: { perKeyPerMinute: e.LIMIT_API_PER_KEY_PER_MINUTE },
    testHooks: e.TEST_HOOKS === "1",
    metricsToken: e.METRICS_TOKEN,
    brand,
  };
}

/** The branding variables, checked: a logo that is not a readable PNG/JPEG/SVG of at most 512 KB, or a colour below WCAG AA on white, stops start-up. */
function loadBrand(e: z.infer<typeof schema>, isProduction: boolean): Brand {
  if (!e.BRAND_LOGO_PATH && !e.BRAND_PRIMARY_COLOR && !e.SUPPORT_HOURS && !e.SUPPORT_CONTACT && !e.LEGAL_URL) return NO_BRAND;
  const colorProblem = e.BRAND_PRIMARY_COLOR ? primaryColorProblem(e.BRAND_PRIMARY_COLOR) : null;
  if (colorProblem) throw new ConfigError(colorProblem);
  const logo = e.BRAND_LOGO_PATH ? readLogo(e.BRAND_LOGO_PATH) : null;
  if (typeof logo === "string") throw new ConfigError(logo.replace(/[\r\n]+/g, " "));
  if (isProduction && e.LEGAL_URL && !e.LEGAL_URL.startsWith("https:")) {
    throw new ConfigError("LEGAL_URL: must be https:// when NODE_ENV=production");
  }
  return {
    logo,
    primaryColor: e.BRAND_PRIMARY_COLOR?.toLowerCase() ?? null,
    supportHours: e.SUPPORT_HOURS ?? null,
    supportContact: e.SUPPORT_CONTACT ?? null,
    legal: e.LEGAL_URL ? { url: e.LEGAL_URL, text: e.LEGAL_LINK_TEXT } : null,
  };
}

/** Development only: a random key kept next to the database so restarts keep sessions valid. */
function developmentSecret(dataDir: string): Buffer {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "secret.key");
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, crypto.randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  }
  return crypto.createHash("sha256").update(fs.readFileSync(file, "utf8").trim()).digest();
}
