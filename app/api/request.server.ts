import { withActor, type RequestContext } from "~/context.server";
import { authenticateApiKey, type AuthenticatedKey } from "./keys.server";
import { ApiProblem, problemResponse } from "./problem.server";
import type { Scope } from "./schemas.server";

/**
 * Every provisioning API request goes through `handleApi`: the bearer key (401), the per-key rate
 * limit (429), the scope (403), then the handler, acting as the key (audit actor `api_key`, id the
 * key's id). Anything the handler throws becomes a problem+json response; nothing escapes to
 * Remix's HTML error pages.
 */

export type ApiContext = RequestContext & { apiKey: AuthenticatedKey };

export async function handleApi(context: RequestContext, request: Request, scope: Scope, handler: (api: ApiContext) => Promise<Response>): Promise<Response> {
  try {
    const key = await authenticateApiKey(context, request.headers.get("authorization"));
    if (!key) {
      return problemResponse(401, "Send a live API key as `Authorization: Bearer rp_live_…`.", {
        headers: { "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"' },
      });
    }
    const limit = await context.services.limits.consume("api_per_key", key.id);
    if (!limit.ok) {
      return problemResponse(429, `This API key sent too many requests; try again in ${limit.retryAfterSeconds} s.`, { headers: { "Retry-After": String(limit.retryAfterSeconds) } });
    }
    if (!key.scopes.includes(scope)) {
      return problemResponse(403, `This API key does not have the scope ${scope}.`, {
        headers: { "WWW-Authenticate": `Bearer realm="api", error="insufficient_scope", scope="${scope}"` },
      });
    }
    const api: ApiContext = { ...withActor(context, { type: "api_key", id: key.id }), apiKey: key };
    return await handler(api);
  } catch (err) {
    if (err instanceof ApiProblem) return problemResponse(err.status, err.detail, err.extra);
    context.services.logger.error({ requestId: context.requestId, err: err instanceof Error ? err.message : String(err) }, "api: unexpected error");
    return problemResponse(500, "Something went wrong on our side; the request may be retried.");
  }
}

/** The request's JSON body: 415 unless it is `application/json` (or `+json`), 400 unless it parses. */
export async function readJson(request: Request): Promise<unknown> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new ApiProblem(415, "Send the body as application/json.", { headers: { "Accept-Post": "application/json", "Accept-Patch": "application/json" } });
  }
  const text = await request.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiProblem(400, "The body is not valid JSON.");
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers } });
}

/** 405 for a method a route does not take (problem+json, with Allow). */
export function methodNotAllowed(allow: string): Response {
  return new Response(JSON.stringify({ type: "about:blank", title: "Method not allowed", status: 405, detail: `This address takes ${allow}.` }), {
    status: 405,
    headers: { "Content-Type": "application/problem+json", Allow: allow },
  });
}
