import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import bcrypt from "bcryptjs";
import { hash as argon2Hash } from "@node-rs/argon2";
import SwaggerParser from "@apidevtools/swagger-parser";
import { RELAXED_LIMITS, ROOT } from "../helpers/app";
import { usePortal } from "../helpers/portal";

/**
 * The provisioning API (issue 17, docs/decisions/0021-provisioning-api.md): bearer API keys from
 * the CLI, accounts created with imported Argon2id and bcrypt hashes and signed in through the
 * real /login form, problem+json for every error, idempotent create, delete with a tombstone,
 * the per-key rate limit and the generated OpenAPI document. Real portal, both engines.
 */

const run = `${process.pid % 1000}${Date.now() % 100000}`;
const PER_MINUTE = 30;
const PASSWORD = "granite willow ferry compass";

const { app, probe, customer } = usePortal({
  clients: { ip: "10.91" },
  env: { ...RELAXED_LIMITS, LIMIT_API_PER_KEY_PER_MINUTE: String(PER_MINUTE) },
});

async function newKey(scopes = "accounts:read,accounts:write", name = "test system"): Promise<{ id: string; key: string; stdout: string }> {
  const r = await app.cli(["api-key", "create", "--name", name, "--scopes", scopes]);
  expect(r.code, r.stderr).toBe(0);
  const id = /^id: (\S+)$/m.exec(r.stdout)?.[1];
  const key = /^key: (\S+)$/m.exec(r.stdout)?.[1];
  expect(id).toBeTruthy();
  expect(key).toMatch(/^rp_live_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/);
  return { id: id!, key: key!, stdout: r.stdout };
}

type Call = { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> };
async function api(key: string | null, urlPath: string, call: Call = {}) {
  const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...call.headers };
  let body: string | undefined;
  if (call.raw !== undefined) body = call.raw;
  else if (call.body !== undefined) {
    body = JSON.stringify(call.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(app.origin + urlPath, { method: call.method ?? (body === undefined ? "GET" : "POST"), headers, body, redirect: "manual" });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** An RFC 9457 problem of this status. */
function expectProblem(r: Awaited<ReturnType<typeof api>>, status: number) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(r.json).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

const signsIn = async (username: string, password: string) => (await customer.signIn(username, password)).location === "/account";

describe("provisioning API: accounts", () => {
  test("PWD-10: create with an imported Argon2id or bcrypt hash → sign in on /login (bcrypt rehashed to Argon2id) → disable → refused → enable", async () => {
    const { id: keyId, key } = await newKey();
    const argonUser = `apiargon${run}`;
    const bcryptUser = `apibcrypt${run}`;
    const argon = await argon2Hash(PASSWORD, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const bcryptHash = bcrypt.hashSync(PASSWORD, 10).replace(/^\$2[ab]\$/, "$2y$");

    const a = await api(key, "/api/v1/accounts", { body: { username: argonUser, email: `${argonUser}@example.test`, email_verified: true, password_hash: argon } });
    expect(a.status, a.text).toBe(201);
    expect(a.headers.get("location")).toBe(`/api/v1/accounts/${a.json.id}`);
    expect(a.json).toMatchObject({ username: argonUser, email: `${argonUser}@example.test`, email_verified: true, phone: null, status: "active", has_password: true });
    expect(a.text).not.toContain("argon2id");

    const b = await api(key, "/api/v1/accounts", { body: { username: bcryptUser, email: `${bcryptUser}@example.test`, phone: "+1 202 555 0199", phone_verified: true, password_hash: bcryptHash } });
    expect(b.status, b.text).toBe(201);
    expect(b.json).toMatchObject({ phone: "+12025550199", phone_verified: true, email_verified: false });
    const bcryptId = String(b.json.id);

    expect(await signsIn(argonUser, PASSWORD)).toBe(true);
    expect(await signsIn(bcryptUser, "not the password at all 123")).toBe(false);
    expect(probe.userRow(bcryptUser)!.password_hash).toBe(bcryptHash);
    expect(await signsIn(bcryptUser, PASSWORD)).toBe(true);
    // The first successful sign-in replaced the bcrypt hash with the portal's Argon2id (PWD-10).
    const rehashed = probe.userRow(bcryptUser)!.password_hash!;
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await signsIn(bcryptUser, PASSWORD)).toBe(true);

    const read = await api(key, `/api/v1/accounts/${bcryptId}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: bcryptId, username: bcryptUser });
    const byName = await api(key, `/api/v1/accounts?username=${bcryptUser.toUpperCase()}`);
    expect(byName.json.id).toBe(bcryptId);

    const disabled = await api(key, `/api/v1/accounts/${bcryptId}/disable`, { method: "POST" });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.json.status).toBe("disabled");
    expect(probe.sessionsOf(bcryptId)).toBe(0);
    expect(await signsIn(bcryptUser, PASSWORD)).toBe(false);

    const enabled = await api(key, `/api/v1/accounts/${bcryptId}/enable`, { method: "POST" });
    expect(enabled.json.status).toBe("active");
    expect(await signsIn(bcryptUser, PASSWORD)).toBe(true);

    // LOG-01: every API action is audited with the key as the actor.
    const byKey = probe.auditEvents({ actorType: "api_key", actorId: keyId, userId: bcryptId }).map((e) => e.event);
    expect(byKey).toEqual(["account_created", "account_read", "account_read", "account_disabled", "account_enabled"]);
  });

  test("PATCH: a changed contact is unverified unless its flag is given, ends sessions, and is audited as the change (webhook contact.changed)", async () => {
    const { id: keyId, key } = await newKey();
    // A webhook endpoint (nothing listens there; only what is queued matters here).
    const hook = await app.cli(["webhook", "add", "--url", "http://127.0.0.1:9/api-test", "--events", "contact.changed"]);
    expect(hook.code, hook.stderr).toBe(0);
    const endpointId = /^id: (\S+)$/m.exec(hook.stdout)![1]!;
    const username = `apipatch${run}`;
    const created = await api(key, "/api/v1/accounts", { body: { username, email: `${username}@example.test`, email_verified: true, password_hash: bcrypt.hashSync(PASSWORD, 4) } });
    const id = String(created.json.id);
    await customer.signedIn(username, PASSWORD);
    expect(probe.sessionsOf(id)).toBe(1);

    const changed = await api(key, `/api/v1/accounts/${id}`, { method: "PATCH", body: { email: `new-${username}@example.test` } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ email: `new-${username}@example.test`, email_verified: false });
    expect(probe.sessionsOf(id)).toBe(0);
    const verified = await api(key, `/api/v1/accounts/${id}`, { method: "PATCH", body: { phone: "+1 202 555 0177", phone_verified: true, email_verified: true } });
    expect(verified.json).toMatchObject({ phone: "+12025550177", phone_verified: true, email_verified: true });
    const removed = await api(key, `/api/v1/accounts/${id}`, { method: "PATCH", body: { phone: null } });
    expect(removed.json).toMatchObject({ phone: null, phone_verified: false });
    const events = probe.auditEvents({ actorId: keyId, userId: id }).map((e) => e.event);
    expect(events).toEqual(["account_created", "email_changed", "phone_changed", "phone_changed"]);
    // The same webhook events as the customer's own change, queued with the change.
    const queued = probe.outboxByChannel("webhook").filter((m) => m.recipient === endpointId && String(m.payload).includes(id));
    expect(queued.map((m) => m.template)).toEqual(["contact.changed", "contact.changed", "contact.changed"]);
    expect((await app.cli(["webhook", "remove", endpointId])).code).toBe(0);

    expectProblem(await api(key, `/api/v1/accounts/${id}`, { method: "PATCH", body: {} }), 422);
    expectProblem(await api(key, `/api/v1/accounts/nosuchaccount`, { method: "PATCH", body: { email_verified: true } }), 404);
  });
});

describe("provisioning API: errors are RFC 9457 problem+json", () => {
  test("401 without a key, with a bad key and with a revoked key (WWW-Authenticate: Bearer)", async () => {
    for (const key of [null, "rp_live_aaaaaaaaaaaaaaaa_" + "A".repeat(43), "not-a-key"]) {
      const r = await api(key, "/api/v1/accounts?username=alice");
      expectProblem(r, 401);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer /);
    }
    const { id, key } = await newKey("accounts:read");
    expect((await api(key, "/api/v1/accounts?username=nosuchuser")).status).toBe(404);
    const revoked = await app.cli(["api-key", "revoke", id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const r = await api(key, "/api/v1/accounts?username=nosuchuser");
    expectProblem(r, 401);
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer /);
    // A key that is only one character off is refused the same way.
    expectProblem(await api(key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"), "/api/v1/accounts?username=x"), 401);
    expect((await app.cli(["api-key", "revoke", id])).code).not.toBe(0);
  });

  test("403 for a missing scope; 400 malformed JSON; 415 wrong content type; 422 validation; 409 username taken; 404", async () => {
    const { key: readOnly } = await newKey("accounts:read");
    const { key: writeOnly } = await newKey("accounts:write");
    const username = `apierr${run}`;
    const forbidden = await api(readOnly, "/api/v1/accounts", { body: { username, email: `${username}@example.test` } });
    expectProblem(forbidden, 403);
    expect(forbidden.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expectProblem(await api(writeOnly, "/api/v1/accounts/whatever"), 403);

    expectProblem(await api(writeOnly, "/api/v1/accounts", { raw: '{"username": "x",', headers: { "content-type": "application/json" } }), 400);
    expectProblem(await api(writeOnly, "/api/v1/accounts", { raw: "username=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415);
    expectProblem(await api(writeOnly, "/api/v1/accounts", { raw: "{}", headers: { "content-type": "text/plain" } }), 415);

    const invalid = await api(writeOnly, "/api/v1/accounts", { body: { username: "no spaces allowed!", email: "not an email", phone_verified: "yes", extra: 1, password_hash: "plaintext password" } });
    expectProblem(invalid, 422);
    const pointers = (invalid.json.errors as { pointer: string }[]).map((e) => e.pointer).sort();
    expect(pointers).toEqual(["", "/email", "/password_hash", "/phone_verified", "/username"]);
    expectProblem(await api(writeOnly, "/api/v1/accounts", { body: { username, email: `${username}@example.test`, phone: "12" } }), 422);
    expectProblem(await api(writeOnly, "/api/v1/accounts", { body: [1, 2] }), 422);

    expect((await api(writeOnly, "/api/v1/accounts", { body: { username, email: `${username}@example.test` } })).status).toBe(201);
    expectProblem(await api(writeOnly, "/api/v1/accounts", { body: { username: username.toUpperCase(), email: `other-${username}@example.test` } }), 409);
    expectProblem(await api(readOnly, "/api/v1/accounts/nosuchaccount"), 404);
    expectProblem(await api(writeOnly, "/api/v1/accounts/nosuchaccount/disable", { method: "POST" }), 404);
    expectProblem(await api(writeOnly, "/api/v1/accounts/nosuchaccount", { method: "DELETE" }), 404);
    expectProblem(await api(readOnly, "/api/v1/accounts"), 422);
    // Methods a route does not take.
    expect((await api(writeOnly, "/api/v1/accounts", { method: "PUT" })).status).toBe(405);
    expectProblem(await api(writeOnly, "/api/v1/accounts", { method: "PUT" }), 405);
  });

  test("SES-09: the bearer API is exempt from the cross-site form check only without cookies", async () => {
    const { key } = await newKey();
    const username = `apicsrf${run}`;
    const crossSite = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    const refused = await api(key, "/api/v1/accounts", { body: { username, email: `${username}@example.test` }, headers: { ...crossSite, cookie: "rp_session=x" } });
    expect(refused.status).toBe(403);
    expect(probe.userExists(username)).toBe(false);
    // A form post (no bearer key) elsewhere is still refused cross-site.
    const form = await fetch(app.origin + "/login", { method: "POST", headers: { ...crossSite, authorization: `Bearer ${key}`, "content-type": "application/x-www-form-urlencoded" }, body: "identifier=a&password=b", redirect: "manual" });
    expect(form.status).toBe(403);
    // Without a cookie, a bearer call is judged by its key alone; Remix's own Origin check still refuses a foreign Origin.
    const noCookie = await api(key, "/api/v1/accounts", { body: { username, email: `${username}@example.test` }, headers: { "sec-fetch-site": "cross-site" } });
    expect(noCookie.status, noCookie.text).toBe(201);
  });
});

describe("provisioning API: idempotency, delete, rate limit, keys", () => {
  test("an Idempotency-Key replays the first response for the same body and refuses another body (422)", async () => {
    const { key } = await newKey();
    const username = `apiidem${run}`;
    const body = { username, email: `${username}@example.test`, email_verified: true };
    const idem = { "idempotency-key": `create-${run}` };
    const first = await api(key, "/api/v1/accounts", { body, headers: idem });
    expect(first.status, first.text).toBe(201);
    const again = await api(key, "/api/v1/accounts", { body: { email_verified: true, email: body.email, username }, headers: idem });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(probe.userCount()).toBeGreaterThan(0);
    expect(probe.auditEvents({ event: "account_created", userId: String(first.json.id) })).toHaveLength(1);
    expectProblem(await api(key, "/api/v1/accounts", { body: { ...body, email_verified: false }, headers: idem }), 422);
    // Without the header, a second create is a conflict, not a replay.
    expectProblem(await api(key, "/api/v1/accounts", { body }), 409);
    // Another key's records are its own.
    const { key: other } = await newKey();
    expectProblem(await api(other, "/api/v1/accounts", { body, headers: idem }), 409);
    // Five at once with a new Idempotency-Key: one account, five identical answers (0017 rule 3).
    const racer = `apirace${run}`;
    const raced = await Promise.all(
      Array.from({ length: 5 }, () => api(key, "/api/v1/accounts", { body: { username: racer, email: `${racer}@example.test` }, headers: { "idempotency-key": `race-${run}` } })),
    );
    expect(raced.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(raced.map((r) => r.text)).size).toBe(1);
    expect(probe.auditEvents({ event: "account_created", userId: String(raced[0]!.json.id) })).toHaveLength(1);
    // After 24 h the record is gone: the same Idempotency-Key starts a new request.
    await app.advanceClock(24 * 60 * 60_000 + 60_000);
    const later = await api(key, "/api/v1/accounts", { body: { username: `${username}b`, email: body.email }, headers: idem });
    expect(later.status, later.text).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
  });

  test("DELETE erases the account's personal data everywhere and keeps a tombstone in the audit log", async () => {
    const { id: keyId, key } = await newKey();
    const username = `apidel${run}`;
    const email = `${username}@example.test`;
    const created = await api(key, "/api/v1/accounts", { body: { username, email, email_verified: true, phone: "+1 202 555 0166", phone_verified: true, password_hash: bcrypt.hashSync(PASSWORD, 4) } });
    const id = String(created.json.id);
    await customer.signedIn(username, PASSWORD);
    await customer.requestReset(username);
    expect(probe.flowsOf(id).length).toBeGreaterThan(0);

    const deleted = await api(key, `/api/v1/accounts/${id}`, { method: "DELETE" });
    expect(deleted.status, deleted.text).toBe(204);
    expect(probe.userExists(username)).toBe(false);
    expect(probe.sessionsOf(id)).toBe(0);
    expect(probe.flowsOf(id)).toHaveLength(0);
    // No row outside the append-only audit log and the outbox (messages already sent) names the account.
    const mentions = probe
      .everyRow()
      .filter(({ table }) => table !== "audit_events" && table !== "outbox" && table !== "dev_mailbox")
      .filter(({ row }) => JSON.stringify(row).includes(id) || JSON.stringify(row).includes(username) || JSON.stringify(row).includes(email) || JSON.stringify(row).includes("+12025550166"));
    expect(mentions).toEqual([]);
    const tombstone = probe.auditEvents({ event: "account_deleted", userId: id });
    expect(tombstone).toHaveLength(1);
    expect(tombstone[0]).toMatchObject({ actor_type: "api_key", actor_id: keyId });
    expect(tombstone[0]!.details).not.toContain(username);
    expect(tombstone[0]!.details).not.toContain(email);
    expectProblem(await api(key, `/api/v1/accounts/${id}`), 404);
    expect(await signsIn(username, PASSWORD)).toBe(false);
    // The username is free again.
    expect((await api(key, "/api/v1/accounts", { body: { username, email } })).status).toBe(201);
  });

  test("a key over LIMIT_API_PER_KEY_PER_MINUTE gets 429 with Retry-After; other keys are not affected", async () => {
    const { key } = await newKey("accounts:read");
    for (let i = 0; i < PER_MINUTE; i++) expect((await api(key, "/api/v1/accounts?username=nosuchuser")).status).toBe(404);
    const limited = await api(key, "/api/v1/accounts?username=nosuchuser");
    expectProblem(limited, 429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const { key: other } = await newKey("accounts:read");
    expect((await api(other, "/api/v1/accounts?username=nosuchuser")).status).toBe(404);
  });

  test("TOK-01, LOG-02: api-key list shows no secret; the key is stored hashed and never logged or audited", async () => {
    const { id, key } = await newKey("accounts:read", "crm sync");
    const list = await app.cli(["api-key", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id} active name="crm sync" scopes=accounts:read`, "m"));
    const secret = key.slice(`rp_live_${id}_`.length);
    expect(list.stdout).not.toContain(secret);
    expect(Buffer.from(secret, "base64url").length).toBeGreaterThanOrEqual(32);
    await api(key, "/api/v1/accounts?username=nosuchuser");
    const rows = JSON.stringify(probe.everyRow());
    expect(rows).not.toContain(secret);
    expect(app.logs()).not.toContain(secret);
    expect(probe.auditEvents({ event: "api_key_created", mentioning: id })).toHaveLength(1);
    expect((await app.cli(["api-key", "create", "--name", "x", "--scopes", "accounts:admin"])).code).not.toBe(0);
  });
});

describe("provisioning API: OpenAPI", () => {
  test("/api/v1/openapi.json is valid OpenAPI 3.1 and lists every API route and method", async () => {
    const res = await fetch(app.origin + "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toBe("3.1.0");
    await SwaggerParser.validate(structuredClone(doc) as never);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });

    // Every route file under app/routes/api.v1.accounts* is in the document, with its methods.
    const routes = fs.readdirSync(path.join(ROOT, "app/routes")).filter((f) => f.startsWith("api.v1.accounts"));
    const toPath = (f: string) =>
      "/" +
      f
        .replace(/\.tsx$/, "")
        .split(".")
        .map((s) => s.replace(/_$/, "").replace(/^\$(.+)$/, "{$1}"))
        .join("/");
    const documented = Object.keys(doc.paths).sort();
    expect(documented).toEqual(routes.map(toPath).sort());
    const methods = Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops).sort()]));
    expect(methods).toEqual({
      "/api/v1/accounts": ["get", "post"],
      "/api/v1/accounts/{id}": ["delete", "get", "patch"],
      "/api/v1/accounts/{id}/disable": ["post"],
      "/api/v1/accounts/{id}/enable": ["post"],
    });
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        expect(op.security).toBeTruthy();
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "429"]));
      }
    }
  });
});
