import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import { ping } from "./app/stores/health.store";
import { ConfigError, loadConfig, type Config } from "./app/config.server";
import { brandAssets } from "./app/brand.server";
import { createServices, type Services } from "./app/services.server";
import { createLogger, redactPath } from "./app/log.server";
import { seedDemoAccounts } from "./app/accounts/demo.server";
import { getMailboxMessage } from "./app/delivery/dev-mailbox.server";
import { escapeHtml } from "./app/http/html";
import { createExpressServer } from "./app/http/express-server.server";
import { createRequestHandler } from "./app/http/remix-adapter.server";
import { loadRemixBuild } from "./app/http/remix-build.server";
import { requestsInTurns } from "./app/http/turns.server";
import { randomBytesFromPool } from "./app/security/crypto.server";
import { detectLocale } from "./app/i18n/locale.server";
import { clientKey } from "./app/limits/client-key";
import { startEscalationSweep } from "./app/tickets/escalation.server";
import { readQueueFigures } from "./app/tickets/queue.server";

/**
 * The HTTP edge: headers, limits and checks that hold for every request, then Remix.
 * Kept here (not in Remix) so that they also cover static files, 4xx pages and /metrics.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
// The project folder: this file's own when run from source (tsx), its parent when run as the
// compiled build/server.js (scripts/build-server.mjs).
const root = path.basename(here) === "build" ? path.dirname(here) : here;
export const FORM_BODY_LIMIT = 16 * 1024;

export type RunningServer = { url: string; port: number; services: Services; close: () => Promise<void> };

function securityHeaders(config: Config) {
  // The policy around the nonce is the same for every request: built once.
  const [cspHead, cspTail] = [
    "default-src 'self'",
    "script-src 'self' 'nonce-\0'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ]
    .join("; ")
    .split("\0");
  return (req: Request, res: Response, next: NextFunction) => {
    const nonce = randomBytesFromPool(16).toString("base64");
    res.locals.nonce = nonce;
    res.setHeader("Content-Security-Policy", cspHead + nonce + cspTail);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    // Reset links carry a token in their path: never leak it through Referer (TOK-08).
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
    if (config.secureCookies) res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    // Pages show or handle account data; nothing but fingerprinted assets may be cached (HDR-02).
    res.setHeader("Cache-Control", "no-store");
    next();
  };
}

/** A small complete page for refusals made before Remix runs. */
export function edgePage(status: number, title: string, message: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/styles.css"></head><body><header class="site-header"><a class="brand" href="/">Account recovery</a></header><main id="main" class="page"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to the start</a></p></main></body></html>`;
}

function refuse(res: Response, status: number, title: string, message: string) {
  // The provisioning API answers every error as RFC 9457 problem+json, the edge's too (issue 17).
  if (isApiPath(res.req.path)) {
    return res.status(status).type("application/problem+json").send(JSON.stringify({ type: "about:blank", title, status, detail: message }));
  }
  res.status(status).type("html").send(edgePage(status, title, message));
}

/** Requests started per turn of the event loop under load (app/http/turns.server.ts). */
const REQUESTS_PER_TURN = 16;
const ALLOWED_METHODS = "GET, HEAD, POST";
/** The provisioning API (docs/decisions/0021-provisioning-api.md) also takes PATCH and DELETE. */
const API_METHODS = "GET, HEAD, POST, PATCH, DELETE";
const isApiPath = (p: string) => p.startsWith("/api/v1/");

/** `Authorization: Bearer <token>`, compared in constant time (M8). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? "");
  if (!m) return false;
  const digest = (v: string) => crypto.createHash("sha256").update(v).digest();
  return crypto.timingSafeEqual(digest(m[1]), digest(token));
}

export async function startServer(env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const services = await createServices(config, logger);
  const { db, clock, metrics } = services;
  // /metrics gauges read at scrape time: open tickets by tier, SLA breaches, outbox backlog.
  metrics.readQueue(() => readQueueFigures(db, clock.now()));
  const appOrigin = new URL(config.appOrigin);

  const app = express();
  /** Set when the node is told to stop: /readyz answers 503 "draining" from then on. */
  let draining = false;
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = crypto.randomUUID();
    // As received: HEAD is handed to Remix as GET below.
    const method = req.method;
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    res.on("finish", () => {
      metrics.httpRequests.inc({ method, status: String(res.statusCode) });
      // Above info (LOG_LEVEL=warn) the line is not written: skip building it (req.ip walks the
      // trusted proxies again).
      if (!logger.isLevelEnabled("info")) return;
      logger.info(
        {
          requestId,
          method,
          // One short line per request, however long the URL a client sends.
          path: redactPath(req.originalUrl).slice(0, 200),
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
          ip: req.ip,
          // Why the edge refused it, on the same line: a refusal never adds a line of its own.
          ...(res.locals.refused ? { refused: res.locals.refused } : {}),
        },
        "request",
      );
    });
    next();
  });
  app.use(securityHeaders(config));

  // Bad input is a 4xx here, before anything can answer it with a 500 (GEN-01).
  app.use((req, res, next) => {
    const api = isApiPath(req.path);
    if (req.method === "OPTIONS") {
      res.setHeader("Allow", api ? API_METHODS : ALLOWED_METHODS);
      return res.status(204).end();
    }
    if (req.method !== "GET" && req.method !== "HEAD" && req.method !== "POST" && !(api && (req.method === "PATCH" || req.method === "DELETE"))) {
      res.setHeader("Allow", api ? API_METHODS : ALLOWED_METHODS);
      return refuse(res, 405, "Request refused", "This address does not accept that kind of request.");
    }
    try {
      // Route parameters are percent-decoded later; a malformed sequence must not become a 500.
      decodeURIComponent(req.path);
    } catch {
      return refuse(res, 400, "Request refused", "That address is not valid.");
    }
    // Single fetch (".data") is the only data protocol; the legacy ?_data one is not served.
    if (req.query._data !== undefined) return refuse(res, 400, "Request refused", "That address is not valid.");
    next();
  });
  // What the edge refuses above is answered at once, as it arrives. The rest starts in arrival
  // order, sixteen per turn of the event loop (docs/decisions/0029), after new connections are
  // accepted (0037).
  const turns = requestsInTurns(REQUESTS_PER_TURN);
  app.use(turns);

  // Operations endpoints answer whatever Host a load balancer uses.
  app.get("/healthz", async (_req, res) => {
    try {
      // Through the same lock as every request: a wedged connection shows here as a timeout.
      await ping(db);
      res.type("text").send("ok");
    } catch {
      res.status(503).type("text").send("database unavailable");
    }
  });
  // Readiness for a load balancer: the database and, when configured, Redis answer within 2 s.
  // Always 200 "ready" or 503 with a short reason that names no host or credential; never a 500.
  app.get("/readyz", async (_req, res) => {
    // A node told to stop says so first, so the balancer takes it out while it still serves.
    if (draining) return res.status(503).type("text").send("draining");
    const within = <T>(work: Promise<T>) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), 2000)));
      return Promise.race([work, late]).finally(() => clearTimeout(timer));
    };
    const checks: [string, () => Promise<void>][] = [["database unavailable", () => ping(db)]];
    if (services.limits.store === "redis") checks.push(["redis unavailable", () => services.limits.ping()]);
    for (const [reason, check] of checks) {
      try {
        await within(check());
      } catch {
        return res.status(503).type("text").send(reason);
      }
    }
    res.type("text").send("ready");
  });
  // Metrics tell real accounts from unknown ones (messages sent, SMS limits): only for the
  // bearer of METRICS_TOKEN; without one configured there is no /metrics at all (M8).
  const metricsToken = config.metricsToken;
  if (metricsToken) {
    app.get("/metrics", async (req, res) => {
      if (!bearerMatches(req.headers.authorization, metricsToken)) {
        res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
        return res.status(401).type("text").send("unauthorized");
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  // Links are built from APP_ORIGIN only; a request for another host is refused (TOK-07).
  app.use((req, res, next) => {
    if (req.headers.host !== appOrigin.host) {
      return refuse(res, 421, "Wrong address", `This service answers at ${config.appOrigin}.`);
    }
    // Nothing may use a forwarded host (links come from APP_ORIGIN); dropping it also stops Remix's
    // Origin check from comparing against it and answering a bare 500 (TOK-07).
    delete req.headers["x-forwarded-host"];
    // HTTPS only (HDR-01): a trusted proxy that says the browser came over plain http gets the
    // same address on https; nothing is read or changed over http. Without a forwarded protocol
    // the proxy is the TLS end and req.protocol says nothing about the browser.
    if (config.secureCookies && req.headers["x-forwarded-proto"] && req.protocol === "http") {
      if (req.method !== "GET" && req.method !== "HEAD") return refuse(res, 403, "Use a secure connection", `This service answers at ${config.appOrigin}.`);
      return res.redirect(301, config.appOrigin + req.originalUrl);
    }
    next();
  });

  // Cross-site request defence on every state-changing request (SES-09).
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    // Under Referrer-Policy: no-referrer, browsers send "Origin: null" on a plain (no-JS) form
    // POST; the browser's own Sec-Fetch-Site then vouches that it came from this site.
    const originOk = origin === undefined || origin === config.appOrigin || (origin === "null" && site === "same-origin");
    // The one exemption: a provisioning API call that authenticates with a bearer key and carries
    // no cookie. A browser cannot send one cross-site (Authorization needs a CORS preflight, which
    // is never granted), and without a cookie there is no ambient authority to forge. The body
    // limits below still apply; a cookie-carrying request to /api/v1/ is checked like any form.
    const bearerApi = isApiPath(req.path) && /^Bearer /i.test(req.headers.authorization ?? "") && req.headers.cookie === undefined;
    if (!bearerApi && ((site && site !== "same-origin" && site !== "none") || !originOk)) {
      res.locals.refused = { reason: "cross-site", origin: origin?.slice(0, 100), site: site?.slice(0, 30) };
      return refuse(res, 403, "Request refused", "This form must be sent from this site. Go back, reload the page and try again.");
    }
    // Accepted as same-origin above; Remix repeats the Origin/Host check and would throw (a 500) on "null".
    if (origin === "null") req.headers.origin = config.appOrigin;
    const length = req.headers["content-length"];
    if (length === undefined && req.headers["transfer-encoding"]) {
      return refuse(res, 411, "Request refused", "The request must say how long it is.");
    }
    if (Number(length ?? 0) > FORM_BODY_LIMIT) {
      return refuse(res, 413, "Too much data", "That was more than this form accepts. Shorten what you typed and try again.");
    }
    next();
  });

  if (config.testHooks) {
    // Test-only hooks; loadConfig refuses TEST_HOOKS=1 in production (GEN-01).
    app.post("/__test/clock", express.json(), (req, res) => {
      if (req.body?.reset) clock.reset();
      else if (typeof req.body?.freeze === "boolean") clock.freeze(req.body.freeze);
      else clock.advance(Number(req.body?.advanceMs ?? 0));
      res.json({ now: clock.now() });
    });
    app.post("/__test/outbox/drain", async (_req, res) => {
      res.json({ sent: await services.worker.drainNow() });
    });
  }

  // The operator's logo and colour stylesheet (/brand/logo, /brand.css), when configured.
  app.use(brandAssets(config.brand));
  // Static files for GET and HEAD only: fingerprinted assets under /build, and the files at the top
  // of public/ (listed once at start-up). Anything else goes on to Remix without a file-system stat.
  const isRead = (req: Request) => req.method === "GET" || req.method === "HEAD";
  const serveAssets = express.static(path.join(root, "public/build"), { immutable: true, maxAge: "1y", setHeaders: (r) => r.setHeader("Cache-Control", "public, max-age=31536000, immutable") });
  app.use("/build", (req, res, next) => (isRead(req) ? serveAssets(req, res, next) : next()));
  const publicDir = path.join(root, "public");
  const publicFiles = new Set(fs.readdirSync(publicDir, { withFileTypes: true }).flatMap((e) => (e.isFile() ? [`/${e.name}`] : [])));
  const servePublic = express.static(publicDir, { setHeaders: (r) => r.setHeader("Cache-Control", "public, max-age=3600") });
  app.use((req, res, next) => (isRead(req) && publicFiles.has(decodeURIComponent(req.path)) ? servePublic(req, res, next) : next()));

  if (!config.isProduction) {
    // The HTML part of a caught email, on its own page with its own locked-down policy.
    app.get("/dev/mailbox/:id/html", async (req, res, next) => {
      let message;
      try {
        message = await getMailboxMessage(db, Number(req.params.id));
      } catch (err) {
        // Express 4 does not catch a rejected handler: hand the error to the last-resort handler.
        return next(err);
      }
      if (!message?.html_body) return refuse(res, 404, "Not found", "There is no such message.");
      res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'");
      res.type("html").send(message.html_body);
    });
  }

  const build = await loadRemixBuild(root);
  // Remix treats a HEAD on a ".data" URL as an action; as a GET it is a read, and Node sends
  // no body for a HEAD request whatever Remix renders.
  app.use((req, _res, next) => {
    if (req.method === "HEAD") req.method = "GET";
    next();
  });
  app.all(
    "*",
    createRequestHandler({
      build,
      // Only local development shows error details; tests and production get sanitised errors.
      mode: config.env === "development" ? "development" : "production",
      getLoadContext: async (req, res, request) => {
        // req.ip walks X-Forwarded-For through the "trust proxy" rules on every read: read it once.
        const clientIp = req.ip ?? "unknown";
        return {
          services,
          // Who the customer is becomes known inside the route (the session); staff routes pass a copy.
          actor: { type: "customer", id: null },
          nonce: res.locals.nonce as string,
          requestId: res.locals.requestId as string,
          clientIp,
          clientKey: clientKey(clientIp),
          userAgent: String(req.headers["user-agent"] ?? "").slice(0, 256),
          // The support console is in English (docs/decisions/0022); customers' pages follow the customer.
          locale: req.path.startsWith("/support") ? "en" : await detectLocale(request, config.defaultLocale, config.secureCookies),
        };
      },
    }),
  );

  // Last resort: never show internals (REQ-07). Remix renders its own error pages before this.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    void _next;
    logger.error({ requestId: res.locals.requestId, err: err instanceof Error ? err.message : String(err) }, "unhandled error");
    if (res.headersSent) return res.end();
    const message = err instanceof Error ? err.message : "";
    // Remix refuses actions whose Origin does not match Host; that is a bad request, not a fault.
    if (/origin|host/i.test(message)) return refuse(res, 400, "Request refused", "This request could not be accepted.");
    refuse(res, 500, "Something went wrong", "Sorry, something went wrong on our side. Please try again in a minute.");
  });

  if (!config.isProduction) await seedDemoAccounts(services);
  // OUTBOX_WORKER=0: a web-only node; it queues messages and `portal worker` processes send them.
  if (config.outbox.worker) await services.worker.start();
  // Tickets past their SLA without a first response go to tier 2, in every process that sends mail.
  const sweep = config.outbox.worker ? startEscalationSweep(services, config.tickets.escalationSweepMs) : null;

  const server = createExpressServer(app).listen(config.port, config.host);
  server.on("connection", turns.connectionAccepted);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
      await sweep?.stop();
      await services.close();
    })());
  return { url: config.appOrigin, port, services, close };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  startServer()
    .then((running) => {
      const { config, logger } = running.services;
      const lines = [
        `${config.appName} portal listening on port ${running.port}`,
        `Open ${config.appOrigin}/`,
      ];
      if (running.services.devMailboxPort !== null) lines.push(`Development mailbox: ${config.appOrigin}/dev/mailbox`);
      logger.info({ port: running.port, host: config.host, origin: config.appOrigin }, "listening");
      process.stderr.write(lines.join("\n") + "\n");
      const shutdown = (signal: string) => {
        // Stops accepting, lets the requests in flight finish, then stops the worker: the messages
        // in flight settle and any claim left is given back to the queue.
        logger.info({ signal }, "shutting down: draining requests and outbox");
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", () => shutdown("SIGTERM"));
      process.once("SIGINT", () => shutdown("SIGINT"));
    })
    .catch((err) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`Configuration error: ${err.message}\n`);
      } else {
        process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      process.exit(1);
    });
}
