import type { z } from "zod";

/**
 * RFC 9457 problem details for the provisioning API: every error it answers is one of these, as
 * `application/problem+json`. Handlers throw ApiProblem; app/api/request.server.ts turns it into
 * the response.
 */

export type FieldError = { pointer: string; detail: string };

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ["malformed-request", "Malformed request"],
  401: ["unauthorized", "Missing or invalid API key"],
  403: ["insufficient-scope", "The API key lacks a scope this needs"],
  404: ["not-found", "Not found"],
  409: ["conflict", "Conflict"],
  415: ["unsupported-media-type", "Unsupported media type"],
  422: ["validation-failed", "Validation failed"],
  429: ["rate-limited", "Too many requests"],
  500: ["internal-error", "Internal error"],
};

/** The problem type URI: a stable name per kind of problem (not dereferenceable). */
export function problemType(status: number): string {
  return `urn:recovery-portal:problem:${(TITLES[status] ?? ["error"])[0]}`;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export function problemResponse(status: number, detail: string, extra: { errors?: FieldError[]; headers?: Record<string, string> } = {}): Response {
  const [, title] = TITLES[status] ?? ["error", "Error"];
  const body = { type: problemType(status), title, status, detail, ...(extra.errors ? { errors: extra.errors } : {}) };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store", ...extra.headers },
  });
}

/** zod issues as JSON Pointers into the body (RFC 6901). */
export function fieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => ({
    pointer: prefix + (issue.path.length ? "/" + issue.path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/") : ""),
    detail: issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message,
  }));
}

export function validationProblem(error: z.ZodError, prefix = ""): ApiProblem {
  return new ApiProblem(422, "The request does not match the schema; see errors.", { errors: fieldErrors(error, prefix) });
}
