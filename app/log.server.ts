import pino from "pino";

export type Logger = pino.Logger;

/**
 * JSON logs. Secrets never reach a log line: the redaction list covers headers and any field
 * named like a secret, and request paths that carry a token are rewritten before logging (LOG-02).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "req.headers.cookie",
          "req.headers.authorization",
          'res.headers["set-cookie"]',
          "password",
          "*.password",
          "token",
          "*.token",
          "code",
          "*.code",
          "secret",
          "*.secret",
          "payload",
          "*.payload",
          // Message texts and links (LOG-02): never logged on purpose; censored if ever passed.
          "body",
          "*.body",
          "text",
          "*.text",
          "html",
          "*.html",
          "link",
          "*.link",
          "url",
          "*.url",
          "reportUrl",
          "*.reportUrl",
          "newPassword",
          "*.newPassword",
          "recoveryCodes",
          "*.recoveryCodes",
        ],
        censor: "[redacted]",
      },
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
