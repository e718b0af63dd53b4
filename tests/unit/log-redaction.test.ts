import pino from "pino";
import { describe, expect, test } from "vitest";
import { CENSOR, SECRET_FIELDS, censorSecrets, createLogger } from "~/log.server";

/**
 * LOG-02: the portal's logger censors secrets with its own `censorSecrets` instead of pino's
 * `redact` (docs/decisions/0038). The lines must be what pino's redaction wrote with the list the
 * portal gave it before, byte for byte, and the objects a caller logs must come out unchanged.
 */

/** pino's own redaction, with the list createLogger passed it until 0038 (written out, so that a
 * field dropped from SECRET_FIELDS fails here). */
const OLD_FIELDS = ["password", "token", "code", "secret", "payload", "body", "text", "html", "link", "url", "reportUrl", "newPassword", "recoveryCodes"];
const PINO_PATHS = [
  "req.headers.cookie",
  "req.headers.authorization",
  'res.headers["set-cookie"]',
  ...OLD_FIELDS.flatMap((f) => [f, `*.${f}`]),
];

function capture(make: (stream: pino.DestinationStream) => pino.Logger) {
  const lines: string[] = [];
  const logger = make({ write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

const portal = () => capture((stream) => createLogger("info", stream));
const reference = () =>
  capture((stream) =>
    pino({ level: "info", base: undefined, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: PINO_PATHS, censor: CENSOR } }, stream),
  );
/** The lines without their time, which differs between two loggers. */
const untimed = (lines: string[]) => lines.map((l) => l.replace(/"time":"[^"]*",/, ""));

const SAMPLES: Record<string, unknown>[] = [
  { requestId: "r1", method: "POST", path: "/forgot-password", status: 303, ms: 12, ip: "10.0.0.1" },
  { event: "password_reset_requested", outcome: "info", userId: null, matched: true, sent: false },
  { password: "hunter2 hunter2", token: "tok", code: "123456", secret: "s", payload: { to: "a@b.test" } },
  { body: "b", text: "t", html: "<p>h</p>", link: "https://x.test/r/abc", url: "/reset/abc", reportUrl: "u", newPassword: "n", recoveryCodes: ["a", "b"] },
  { details: { code: "654321", reason: "kept" }, other: { token: "t", url: "https://x.test", fine: 1 } },
  { req: { method: "GET", url: "/reset/abc", headers: { cookie: "sid=1", authorization: "Bearer k", accept: "text/html" } } },
  { res: { statusCode: 200, headers: { "set-cookie": ["a=1"], "content-type": "text/html" } } },
  { req: { headers: { accept: "*/*" } }, res: { headers: {} } },
  { nested: { deeper: { password: "pino never censored two levels down" } } },
  { list: [{ password: "not a field of the list itself" }], empty: null, zero: 0, no: false },
  { password: undefined, token: null, code: 0, details: { secret: undefined, text: null } },
  { req: { headers: "not an object", url: "u" }, res: null },
  { req: { headers: { cookie: undefined, authorization: null } }, res: { headers: { "set-cookie": undefined } } },
  { err: "SQLITE_BUSY: database is locked", limit: "recovery_per_ip" },
  // Every field of the old list, at the top and one level down.
  Object.fromEntries(OLD_FIELDS.map((f) => [f, `top-${f}`])),
  { inner: Object.fromEntries(OLD_FIELDS.map((f) => [f, `inner-${f}`])) },
];

describe("log redaction (LOG-02)", () => {
  test("LOG-02: lines are those pino's own redaction wrote with the same list", () => {
    const ours = portal();
    const theirs = reference();
    for (const sample of SAMPLES) {
      ours.logger.info(sample, "line");
      theirs.logger.info(sample, "line");
      ours.logger.warn(sample);
      theirs.logger.warn(sample);
    }
    ours.logger.info("a message alone");
    theirs.logger.info("a message alone");
    expect(untimed(ours.lines)).toEqual(untimed(theirs.lines));
    // The comparison is not empty: secrets were there to censor, and were.
    const all = ours.lines.join("");
    expect(all).toContain(`"password":"${CENSOR}"`);
    expect(all).toContain(`"cookie":"${CENSOR}"`);
    expect(all).toContain(`"set-cookie":"${CENSOR}"`);
    for (const leaked of ["hunter2", "123456", "654321", "sid=1", "Bearer k", "a=1", "/reset/abc", "top-", "inner-"]) expect(all).not.toContain(leaked);
    expect([...SECRET_FIELDS].sort()).toEqual([...OLD_FIELDS].sort());
  });

  test("LOG-02: what the caller logged is left as it was", () => {
    const sample = {
      password: "p",
      details: { code: "1", keep: true },
      req: { headers: { cookie: "c", accept: "a" } },
      list: ["x"],
    };
    const before = structuredClone(sample);
    const { logger } = portal();
    logger.info(sample, "line");
    expect(sample).toEqual(before);
  });

  test("a line with nothing to censor is the caller's own object", () => {
    const line = { requestId: "r", status: 200, details: { reason: "none" } };
    expect(censorSecrets(line)).toBe(line);
    const secret = { status: 200, details: { code: "1" } };
    const out = censorSecrets(secret);
    expect(out).not.toBe(secret);
    expect(out.details).toEqual({ code: CENSOR });
  });
});
