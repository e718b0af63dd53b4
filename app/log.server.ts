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
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/** Paths like /reset/<token> are logged without the token. */
export function redactPath(url: string): string {
  const pathOnly = url.split("?")[0];
  return pathOnly.replace(/\/(r|reset|unlock|l|link|confirm|report|wasnt-me)\/[A-Za-z0-9_-]{16,}/g, "/$1/[redacted]");
}
