import pino from "pino";

export type Logger = pino.Logger;

/** Fields named like a secret: censored at the top of a log line and one level down (LOG-02). */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "password",
  "token",
  "code",
  "secret",
  "payload",
  // Message texts and links: never logged on purpose; censored if ever passed.
  "body",
  "text",
  "html",
  "link",
  "url",
  "reportUrl",
  "newPassword",
  "recoveryCodes",
]);
/** Headers censored under `req.headers` and `res.headers`, whatever their names say. */
const SECRET_HEADERS: Readonly<Record<string, ReadonlySet<string>>> = {
  req: new Set(["cookie", "authorization"]),
  res: new Set(["set-cookie"]),
};
export const CENSOR = "[redacted]";

/**
 * The line's object with every secret field replaced by CENSOR: a field named in SECRET_FIELDS at
 * the top or one level down, and the secret headers of `req.headers` and `res.headers`. This is
 * what pino's `redact` did with the same list (`password`, `*.password`, …, `req.headers.cookie`),
 * with the same output (tests/unit/log-redaction.test.ts compares the two). pino's redaction ran
 * a path matcher on every value of every line, about 8 µs a line; this reads each key once and
 * copies only what it censors, so the caller's objects are never changed (docs/decisions/0038).
 */
export function censorSecrets(line: Record<string, unknown>): Record<string, unknown> {
  let out = line;
  for (const key in line) {
    if (!Object.hasOwn(line, key)) continue;
    const value = line[key];
    if (value === undefined) continue;
    let next: unknown = value;
    if (SECRET_FIELDS.has(key)) next = CENSOR;
    else if (typeof value === "object" && value !== null) next = censorBelow(key, value as Record<string, unknown>);
    if (next === value) continue;
    if (out === line) out = { ...line };
    out[key] = next;
  }
  return out;
}

/** One level down: secret fields, and for `req` and `res` their secret headers. */
function censorBelow(parent: string, value: Record<string, unknown>): unknown {
  let out = value;
  const put = (key: string, next: unknown) => {
    if (out === value) out = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
    out[key] = next;
  };
  for (const key in value) {
    // Present but undefined is censored too, as pino's redaction did one level down.
    if (Object.hasOwn(value, key) && SECRET_FIELDS.has(key)) put(key, CENSOR);
  }
  const headers = Object.hasOwn(SECRET_HEADERS, parent) ? value.headers : undefined;
  if (typeof headers === "object" && headers !== null) {
    const names = SECRET_HEADERS[parent];
    let censored: Record<string, unknown> | undefined;
    for (const name of names) {
      if (!Object.hasOwn(headers, name)) continue;
      censored ??= { ...(headers as Record<string, unknown>) };
      censored[name] = CENSOR;
    }
    if (censored) put("headers", censored);
  }
  return out;
}

/**
 * JSON logs. Secrets never reach a log line: fields named like a secret and the cookie and
 * authorization headers are censored (`censorSecrets`), and request paths that carry a token are
 * rewritten before logging (`redactPath`; LOG-02).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: censorSecrets },
    },
    destination,
  );
}

/** The fixed pages that live under a token route's prefix; any other segment there is a token. */
const TOKEN_ROUTES: Record<string, string[]> = {
  reset: ["password", "second-factor", "done"],
  unlock: ["code", "verified", "done"],
  report: [],
  "assisted-recovery/confirm": [],
  "assisted-recovery/status": [],
  confirm: [],
  r: [],
  l: [],
  link: [],
  "wasnt-me": [],
};
const TOKEN_ROUTE_RE = new RegExp(`^/(${Object.keys(TOKEN_ROUTES).map((k) => k.replace("/", "\\/")).join("|")})/([^/]+)`);

/**
 * Paths like /reset/<token>, /unlock/<token>, /report/<token> and /assisted-recovery/confirm/<token>
 * are logged as /reset/[redacted]; the query string (which could hold ?token=) is never logged.
 * Whatever the length or encoding of the segment, only the fixed page names are kept.
 */
export function redactPath(url: string): string {
  const pathOnly = url.split(/[?#]/)[0];
  return pathOnly.replace(TOKEN_ROUTE_RE, (whole, prefix: string, segment: string) => {
    const page = segment.replace(/\.data$/, "");
    return TOKEN_ROUTES[prefix].includes(page) ? whole : `/${prefix}/[redacted]`;
  });
}

/** A phone number for a log line: country code and all but the last two digits hidden (+1202555**43). */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  if (digits.length < 6) return "[phone]";
  return `${phone.trim().startsWith("+") ? "+" : ""}${digits.slice(0, -2).replace(/\d{2}$/, "**")}${digits.slice(-2)}`;
}

/**
 * Text from elsewhere (a provider's error message, which may echo the message it was sent) made
 * safe for a log line: URLs, long token-like runs, e-mail addresses and digit runs of 4 or more
 * (codes, phone numbers) are replaced, and the rest is cut to `max` characters.
 */
export function sanitiseForLog(text: string, max = 200): string {
  return text
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, "[url]")
    .replace(/[^\s@<>"']+@[^\s@<>"']+/g, "[email]")
    .replace(/[A-Za-z0-9_-]{20,}/g, "[redacted]")
    .replace(/\+?\d[\d ().-]{2,}\d/g, (m) => (m.replace(/\D/g, "").length >= 4 ? "[number]" : m))
    .replace(/\s+/g, " ")
    .slice(0, max);
}
