import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT, startApp, tempDir, type TestApp } from "../helpers/app";
import { startSmtpSink } from "../helpers/smtp-sink";
import { startProductionApp, type ProductionPortal } from "../helpers/production";
import { startSmsReceiver } from "../helpers/sms-receiver";
import { Client, DEMO_PASSWORD } from "../helpers/http";
import { probes } from "../helpers/probes";

/**
 * Issue 10, review findings H3 (demo mode can never face the internet), L13 (https in
 * production), M8 (/metrics) and "Bad input never gets a 500, and never floods the log".
 * The random counterpart of the bad-input tests is tests/integration/fuzz.test.ts.
 */

const SECRET_KEY = "edge-secret-key-0123456789abcdef0123456789abcdef";
const METRICS_TOKEN = "edge-metrics-token-0123456789abcdef0123456789";
const WEBHOOK_SECRET = "edge-webhook-secret-0123456789";

// ---- start-up refusals: the real process, its one line on stderr ------------------------------

type Exit = { code: number | null; stderr: string; stdout: string };

/** Runs server.ts with exactly these variables (NODE_ENV, HOST, APP_ORIGIN… unset unless given). */
function runServer(env: Record<string, string>): Promise<Exit> {
  const dir = tempDir("portal-edge-");
  const inherited = { ...process.env };
  for (const k of ["NODE_ENV", "HOST", "PORT", "APP_ORIGIN", "SMTP_URL", "SMS_PROVIDER", "METRICS_TOKEN", "ALLOW_INSECURE_ORIGIN", "TEST_HOOKS"]) delete inherited[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
      cwd: ROOT,
      env: { ...inherited, DATABASE_PATH: path.join(dir, "p.sqlite"), SECRET_KEY, PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => (stdout += d));
    // A start that is not refused is a failure of the test; do not leave it running.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stderr.on("data", () => {
      if (stderr.includes("listening on port")) child.kill("SIGTERM");
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
}

async function expectRefused(env: Record<string, string>, variable: string, fix: RegExp) {
  const exit = await runServer(env);
  const lines = exit.stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines, `${JSON.stringify(env)} → ${exit.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable}: `));
  expect(lines[0]).toMatch(fix);
  expect(exit.code).toBe(1);
  expect(exit.stdout).toBe("");
}

const PRODUCTION_BASE = {
  NODE_ENV: "production",
  SMTP_URL: "smtp://127.0.0.1:1",
  APP_ORIGIN: "https://recover.example.com",
  SMS_PROVIDER: "webhook",
  SMS_WEBHOOK_URL: "https://sms.example.com/hook",
  SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
};

describe("start-up rules", () => {
  test("H3 GEN-01 a non-production start refuses a public HOST", async () => {
    await Promise.all([
      expectRefused({ HOST: "0.0.0.0" }, "HOST", /not a loopback address.*NODE_ENV=production/),
      expectRefused({ NODE_ENV: "test", HOST: "::" }, "HOST", /not a loopback address/),
      expectRefused({ NODE_ENV: "development", HOST: "192.0.2.10" }, "HOST", /not a loopback address/),
    ]);
  });

  test("H3 GEN-01 a non-production start refuses a public APP_ORIGIN", async () => {
    // The review's black-box start: SECRET_KEY, SMTP_URL and APP_ORIGIN set, NODE_ENV forgotten.
    await Promise.all([
      expectRefused({ SMTP_URL: "smtp://127.0.0.1:1", APP_ORIGIN: "https://recover.example.com" }, "APP_ORIGIN", /not a loopback origin.*NODE_ENV=production/),
      expectRefused({ NODE_ENV: "test", HOST: "127.0.0.1", APP_ORIGIN: "http://192.0.2.10:3000" }, "APP_ORIGIN", /not a loopback origin/),
    ]);
  });

  test("H3 OTP-02 production refuses the console SMS provider", async () => {
    await Promise.all([
      expectRefused({ ...PRODUCTION_BASE, SMS_PROVIDER: "console" }, "SMS_PROVIDER", /webhook or twilio/),
      // It is the default: a production start must choose a real provider.
      expectRefused({ ...PRODUCTION_BASE, SMS_PROVIDER: "" }, "SMS_PROVIDER", /webhook or twilio/),
    ]);
  });

  test("L13 HDR-01 TOK-07 production refuses an http APP_ORIGIN unless ALLOW_INSECURE_ORIGIN=1", async () => {
    await Promise.all([
      expectRefused({ ...PRODUCTION_BASE, APP_ORIGIN: "http://recover.example.com" }, "APP_ORIGIN", /https:\/\/.*ALLOW_INSECURE_ORIGIN=1/),
      // Production also needs an origin at all (links are built from it).
      expectRefused({ ...PRODUCTION_BASE, APP_ORIGIN: "" }, "APP_ORIGIN", /required when NODE_ENV=production/),
    ]);
    // With the explicit opt-in it starts (and its cookies are not Secure: that is what the opt-in accepts).
    const mail = await startSmtpSink();
    const sms = await startSmsReceiver({ webhookSecret: WEBHOOK_SECRET });
    const insecure = await startApp({
      smtpUrl: mail.url,
      env: { NODE_ENV: "production", TEST_HOOKS: "0", ALLOW_INSECURE_ORIGIN: "1", SMS_PROVIDER: "webhook", SMS_WEBHOOK_URL: `${sms.url}/sms`, SMS_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    try {
      const res = await fetch(`${insecure.origin}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get("strict-transport-security")).toBeNull();
    } finally {
      await insecure.stop();
      await mail.close();
      await sms.close();
    }
  });
});

// ---- npm start on a newcomer's machine: the demo, on loopback only -----------------------------

describe("development start without HOST", () => {
  let dev: TestApp;
  beforeAll(async () => {
    // What `npm start` runs: no NODE_ENV, no HOST, no SMTP_URL, no METRICS_TOKEN.
    dev = await startApp({ env: { NODE_ENV: "", HOST: "", METRICS_TOKEN: "", TEST_HOOKS: "0" } });
  });
  afterAll(async () => {
    await dev?.stop();
  });

  test("H3 GEN-01 it listens on loopback only, and serves the demo there", async () => {
    // The "listening" JSON line may land just after the human-readable one startApp waits for.
    let listening: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !listening; i++) {
      listening = dev
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{") && l.includes('"msg":"listening"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
      if (!listening) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listening?.host).toBe("127.0.0.1");
    // Another address of this machine does not answer at all.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (external) {
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: external, port: dev.port });
        socket.once("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      expect(refused, `${external}:${dev.port}`).toBe("ECONNREFUSED");
    }
    // The newcomer still gets the demo: the mailbox and the demo accounts.
    const c = new Client(dev.origin);
    expect((await c.get("/dev/mailbox")).status).toBe(200);
    const signIn = await c.post("/login", { identifier: "alice", password: DEMO_PASSWORD });
    expect(signIn.status).toBe(302);
    expect(signIn.headers.get("location")).toBe("/account");
  });

  test("M8 without METRICS_TOKEN there is no /metrics", async () => {
    const res = await fetch(`${dev.origin}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("portal_");
  });
});

// ---- a production start: metrics and bad input -------------------------------------------------

let portal: ProductionPortal;
let app: TestApp;
let origin: string;
let host: string;

beforeAll(async () => {
  portal = await startProductionApp({ webhookSecret: WEBHOOK_SECRET, env: { METRICS_TOKEN } });
  ({ app, origin, host: host } = portal);
  const imported = await app.importUsers(["edgeuser"]);
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(async () => {
  await portal?.stop();
});

type Raw = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** A request exactly as given: any method, an unnormalised path, any headers. */
function raw(method: string, p: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: app.port, method, path: p, headers: { host, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const TABLES = ["users", "sessions", "outbox", "audit_events", "recovery_flows", "recovery_sessions", "webauthn_challenges", "tickets", "rate_limits", "sign_in_failures"];
/** Row counts of the tables a request could change. */
const snapshot = () => probes(() => app).rowCounts(TABLES);

/** Lines the portal logged after `from` bytes (waits for the access lines to land). */
async function logSince(from: number): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 300));
  return fs.readFileSync(app.logPath).subarray(from).toString("utf8").split("\n").filter((l) => l !== "");
}

describe("M8 /metrics", () => {
  test("M8 REQ-01 /metrics needs the bearer token and is not on the public Host without it", async () => {
    for (const [label, headers] of [
      ["no token", {}],
      ["no token, another Host", { host: "metrics.example" }],
      ["wrong token", { authorization: `Bearer ${METRICS_TOKEN}x` }],
      ["token prefix", { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` }],
      ["basic auth", { authorization: `Basic ${Buffer.from(`metrics:${METRICS_TOKEN}`).toString("base64")}` }],
    ] as [string, Record<string, string>][]) {
      const res = await raw("GET", "/metrics", headers);
      expect(res.status, label).toBe(401);
      expect(res.headers["www-authenticate"], label).toMatch(/^Bearer\b/);
      expect(res.body, label).not.toContain("portal_");
    }
    const queried = await raw("GET", `/metrics?token=${METRICS_TOKEN}`);
    expect(queried.status).toBe(401);

    const ok = await raw("GET", "/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^portal_http_requests_total\{/m);
    expect(ok.headers["cache-control"]).toBe("no-store");
    // The token is a secret: it never reaches the log.
    expect(app.logs()).not.toContain(METRICS_TOKEN);
  });
});

describe("bad input is a 4xx that changes nothing", () => {
  test("GEN-01 REQ-06 malformed percent-encoding is a 400, not a 500", async () => {
    const before = snapshot();
    for (const p of ["/reset/%ED%A0%80", "/reset/%E0%A4%A", "/unlock/%ZZ", "/report/%ED%A0%80", "/assisted-recovery/confirm/%", "/support/tickets/%C0", "/%ZZ", "/reset/%ED%A0%80.data", "/build/%ZZ", "/styles%ZZ.css"]) {
      for (const method of ["GET", "HEAD", "POST"]) {
        const res = await raw(method, p, method === "POST" ? { origin, "content-type": "application/x-www-form-urlencoded" } : {}, method === "POST" ? "intent=continue" : undefined);
        expect(res.status, `${method} ${p}`).toBe(400);
      }
    }
    expect(snapshot()).toEqual(before);
  });

  test("GEN-01 a JSON null body to /webauthn is a 400", async () => {
    const before = snapshot();
    for (const body of ["null", "1", "-0", '"options"', "true", "[]", '[{"step":"options"}]', '{"step":"options","use":"nonsense"}', '{"step":"options","use":{"x":1}}', '{"step":7}', '{"step":"verify","use":"sign-in","name":5}']) {
      for (const p of ["/webauthn", "/webauthn.data"]) {
        const res = await raw("POST", p, { origin, "content-type": "application/json" }, body);
        expect(res.status, `${p} ${body}`).toBe(400);
        expect(res.headers["set-cookie"], `${p} ${body}`).toBeUndefined();
      }
    }
    // A well-formed request still works.
    const options = await raw("POST", "/webauthn", { origin, "content-type": "application/json" }, '{"step":"options","use":"sign-in"}');
    expect(options.status).toBe(200);
    expect(JSON.parse(options.body)).toMatchObject({ ok: true });
    const after = snapshot();
    expect({ ...after, webauthn_challenges: before.webauthn_challenges }).toEqual(before);
  });

  test("GEN-01 HEAD and OPTIONS on .data URLs and pages are never a 5xx and change nothing", async () => {
    const before = snapshot();
    const paths = ["/", "/_root.data", "/login", "/login.data", "/reset.data", "/reset/password.data", "/account.data", "/logout.data", "/webauthn.data", "/forgot-password.data", "/support.data", "/no-such-page.data", "/reset/abc.data"];
    for (const p of paths) {
      // A HEAD from another origin: Remix took it for an action on ".data" URLs and answered its own
      // CSRF check with a 500.
      const get = await raw("GET", p, { origin: "https://evil.example" });
      const head = await raw("HEAD", p, { origin: "https://evil.example" });
      expect(head.status, `HEAD ${p}`).toBeLessThan(500);
      // HEAD answers exactly as GET would, without a body.
      expect(head.status, `HEAD ${p}`).toBe(get.status);
      expect(head.body, `HEAD ${p}`).toBe("");
      const options = await raw("OPTIONS", p, { origin: "https://evil.example", "access-control-request-method": "POST" });
      expect(options.status, `OPTIONS ${p}`).toBe(204);
      expect(options.headers.allow, `OPTIONS ${p}`).toBe("GET, HEAD, POST");
      expect(options.headers["access-control-allow-origin"], `OPTIONS ${p}`).toBeUndefined();
      expect(options.body).toBe("");
    }
    // GET /reset/<bad token> counts a link failure for this client (TOK-09); HEAD is that same read.
    expect({ ...snapshot(), rate_limits: 0 }).toEqual({ ...before, rate_limits: 0 });
  });

  test("GEN-01 methods other than GET, HEAD and POST get 405 and never reach an action", async () => {
    const before = snapshot();
    const form = { origin, "content-type": "application/x-www-form-urlencoded" };
    for (const method of ["PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "PURGE", "MKCOL"]) {
      for (const p of ["/", "/forgot-password", "/forgot-password.data", "/login", "/logout.data", "/webauthn", "/healthz", "/metrics", "/styles.css"]) {
        const res = await raw(method, p, form, method === "TRACE" ? undefined : "identifier=edgeuser&password=x");
        expect(res.status, `${method} ${p}`).toBe(405);
        expect(res.headers.allow, `${method} ${p}`).toBe("GET, HEAD, POST");
      }
    }
    // Nothing was queued for edgeuser, no flow started, no failure counted.
    expect(snapshot()).toEqual(before);
  });

  test("GEN-01 ?_data (the pre-single-fetch protocol) is refused at the edge", async () => {
    for (const q of ["?_data=root", "?_data=routes/login", "?_data=routes%2Freset.%24token", "?_data="]) {
      const res = await raw("GET", `/login${q}`);
      expect(res.status, q).toBe(400);
    }
  });

  test("GEN-01 REQ-06 wrong origins, huge bodies and odd content types or encodings are never a 5xx", async () => {
    const before = snapshot();
    const post = (p: string, headers: Record<string, string>, body?: string | Buffer) => raw("POST", p, { origin, "content-type": "application/x-www-form-urlencoded", ...headers }, body);
    const cases: [string, Promise<Raw>, number?][] = [
      ["evil origin", post("/forgot-password", { origin: "https://evil.example" }, "identifier=edgeuser"), 403],
      ["http origin", post("/forgot-password", { origin: origin.replace("https:", "http:") }, "identifier=edgeuser"), 403],
      ["cross-site", post("/forgot-password", { "sec-fetch-site": "cross-site" }, "identifier=edgeuser"), 403],
      ["wrong Host", post("/forgot-password", { host: "evil.example" }, "identifier=edgeuser"), 421],
      ["HEAD .data from another origin", raw("HEAD", "/forgot-password.data", { origin: "https://evil.example" }), 200],
      ["OPTIONS .data from another origin", raw("OPTIONS", "/logout.data", { origin: "https://evil.example" }), 204],
      ["POST .data from another origin", post("/logout.data", { origin: "https://evil.example" }, ""), 403],
      ["huge body", post("/forgot-password", {}, "identifier=" + "a".repeat(1_000_000)), 413],
      ["huge JSON", post("/webauthn", { "content-type": "application/json" }, JSON.stringify({ step: "options", pad: "a".repeat(100_000) })), 413],
      ["gzip body", post("/forgot-password", { "content-encoding": "gzip" }, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])), undefined],
      ["unknown encoding", post("/login", { "content-encoding": "x-unknown" }, "identifier=%ZZ&password=%"), undefined],
      ["multipart without boundary", post("/login", { "content-type": "multipart/form-data" }, "--x\r\n\r\n"), undefined],
      ["multipart with garbage", post("/login", { "content-type": "multipart/form-data; boundary=B" }, "--B\r\nnonsense"), undefined],
      ["utf-16 form", post("/forgot-password", { "content-type": "application/x-www-form-urlencoded; charset=utf-16" }, Buffer.from("identifier=x", "utf16le")), undefined],
      ["JSON to a form", post("/login", { "content-type": "application/json" }, "null"), undefined],
      ["text to a form", post("/unlock", { "content-type": "text/plain" }, "\u0000\u0001"), undefined],
      ["binary to webauthn", post("/webauthn", { "content-type": "application/json; charset=latin1" }, Buffer.from([0xff, 0xfe, 0x00])), undefined],
    ];
    for (const [label, pending, expected] of cases) {
      const res = await pending;
      if (expected) expect(res.status, label).toBe(expected);
      else {
        expect(res.status, label).toBeGreaterThanOrEqual(400);
        expect(res.status, label).toBeLessThan(500);
      }
    }
    // Refused requests queue nothing and start nothing (per-client counters may move).
    const after = snapshot();
    for (const t of ["users", "sessions", "outbox", "recovery_flows", "recovery_sessions", "tickets"]) expect(after[t], t).toBe(before[t]);
  });

  test("GEN-01 a client's mistakes (404, 405, 400, refusals) add nothing to the log beyond the access line", async () => {
    // Let the access lines of earlier tests land first.
    await new Promise((r) => setTimeout(r, 300));
    const from = fs.statSync(app.logPath).size;
    const requests: [string, string, Record<string, string>?, string?][] = [
      ["GET", "/no-such-page"],
      ["GET", "/no-such-page.data"],
      ["HEAD", "/reset.data"],
      ["GET", "/reset/%ED%A0%80"],
      ["PATCH", "/"],
      ["OPTIONS", "/login.data"],
      ["PROPFIND", "/"],
      ["GET", "/login?_data=routes/login"],
      ["POST", "/", { origin, "content-type": "application/x-www-form-urlencoded" }, "a=b"],
      ["POST", "/help.data", { origin, "content-type": "application/x-www-form-urlencoded" }, "a=b"],
      ["POST", "/forgot-password", { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }, "identifier=x"],
      ["GET", "/" + "x".repeat(5000)],
    ];
    for (let i = 0; i < 5; i++) for (const [m, p, h, b] of requests) expect((await raw(m, p, h, b)).status, `${m} ${p}`).toBeLessThan(500);
    const lines = await logSince(from);
    expect(lines.filter((l) => !l.includes('"msg":"request"')).map((l) => l.slice(0, 300))).toEqual([]);
    expect(lines).toHaveLength(requests.length * 5);
    for (const l of lines) expect(l.length).toBeLessThan(600);
  });

  test("GEN-01 handleError logs one JSON line for a fault and nothing for a client's 4xx or an abandoned request", async () => {
    const { handleError } = await import("~/entry.server");
    const lines: string[] = [];
    const logger = pino({ base: undefined }, { write: (s: string) => void lines.push(s) });
    const context = { services: { logger }, requestId: "req-1" } as never;
    const request = new Request("http://localhost/reset/abcdefghijklmnopqrstuvwxyz0123456789");
    const notFound = { status: 404, statusText: "Not Found", internal: true, data: "x", error: new Error('No route matches URL "/x"') };
    const methodNotAllowed = { status: 405, statusText: "Method Not Allowed", internal: true, data: "x", error: new Error("Invalid request method") };
    handleError(notFound, { request, context, params: {} });
    handleError(methodNotAllowed, { request, context, params: {} });
    handleError(new Error("Warning: Single fetch-enabled apps should not be making ?_data requests"), { request, context, params: {} });
    const aborted = new AbortController();
    aborted.abort();
    handleError(new Error("client went away"), { request: new Request("http://localhost/", { signal: aborted.signal }), context, params: {} });
    expect(lines).toEqual([]);

    handleError(new Error("database is locked"), { request, context, params: {} });
    expect(lines).toHaveLength(1);
    const line = lines[0].trimEnd();
    expect(line.split("\n")).toHaveLength(1);
    const entry = JSON.parse(line) as { level: number; requestId: string; path: string; err: { message: string; stack: string } };
    expect(entry).toMatchObject({ level: 50, requestId: "req-1", path: "/reset/[redacted]", err: { message: "database is locked" } });
    expect(line.length).toBeLessThan(2000);
  });
});

describe("HDR-01 behind a TLS-terminating proxy", () => {
  test("HDR-01 L13 a request the trusted proxy received over plain http is sent to https, and nothing is changed over http", async () => {
    const proxied = await startProductionApp({ webhookSecret: WEBHOOK_SECRET, env: { TRUST_PROXY: "loopback" } });
    try {
      const get = await fetch(`${proxied.app.origin}/forgot-password?x=1`, {
        redirect: "manual",
        headers: { host: proxied.host, "x-forwarded-proto": "http" },
      });
      expect(get.status).toBe(301);
      expect(get.headers.get("location")).toBe(`${proxied.origin}/forgot-password?x=1`);
      const post = await fetch(`${proxied.app.origin}/forgot-password`, {
        method: "POST",
        redirect: "manual",
        headers: { host: proxied.host, "x-forwarded-proto": "http", "content-type": "application/x-www-form-urlencoded" },
        body: "identifier=someone",
      });
      expect(post.status).toBe(403);
      expect(probes(() => proxied.app).flowCount()).toBe(0);
      // Over https (as the proxy says) the page is served, with HSTS.
      const secure = await fetch(`${proxied.app.origin}/forgot-password`, { headers: { host: proxied.host, "x-forwarded-proto": "https" } });
      expect(secure.status).toBe(200);
      expect(secure.headers.get("strict-transport-security")).toMatch(/max-age=31536000/);
    } finally {
      await proxied.stop();
    }
  });
});
