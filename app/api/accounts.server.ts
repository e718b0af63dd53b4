import { inTransaction } from "~/context.server";
import { serializeOn } from "~/db/db.server";
import { recordEvent } from "~/audit/events.server";
import { AccountError, findUserById, findUserByUsername, insertUser, prepareUser, type User } from "~/accounts/accounts.server";
import { setAccountStatus } from "~/accounts/status.server";
import { normaliseEmail, normaliseUsername } from "~/accounts/identifiers";
import { normalisePhone } from "~/accounts/phone";
import { BCRYPT_HASH } from "~/accounts/password-hash.server";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { clearFailures, failureKey } from "~/lockout/lockout.server";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { forgetRecoveryNetworks } from "~/stores/lockout.store";
import { deleteUser, updateContacts } from "~/stores/users.store";
import { findIdempotencyRecord, purgeIdempotencyRecords, storeIdempotencyRecord } from "~/stores/api-keys.store";
import { requestHash } from "./keys.server";
import { ApiProblem, validationProblem } from "./problem.server";
import { json, readJson, type ApiContext } from "./request.server";
import { AccountId, CreateAccount, IdempotencyKey, UpdateAccount, UsernameQuery, type AccountOutput } from "./schemas.server";

/**
 * The provisioning API's account operations (issue 17, docs/decisions/0021-provisioning-api.md).
 * Each runs as the API key (audit actor `api_key`); webhook events follow from the audit events
 * recorded in the change's transaction (recordEvent queues them, app/webhooks/events.server.ts),
 * so an API change fires exactly what the same change fires elsewhere.
 */

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;

export function accountJson(user: User): AccountOutput {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.email_verified === 1,
    phone: user.phone,
    phone_verified: user.phone_verified === 1,
    status: user.status,
    has_password: Boolean(user.password_hash),
    created_at: new Date(user.created_at).toISOString(),
  };
}

function accountId(raw: string | undefined): string {
  const parsed = AccountId.safeParse(raw);
  if (!parsed.success) throw new ApiProblem(404, "There is no such account.");
  return parsed.data;
}

async function existing(api: ApiContext, id: string): Promise<User> {
  const user = await findUserById(api.services.db, id);
  if (!user) throw new ApiProblem(404, "There is no such account.");
  return user;
}

function phoneOrProblem(api: ApiContext, raw: string): string {
  const phone = normalisePhone(raw, api.services.config.defaultPhoneRegion);
  if (!phone) throw new ApiProblem(422, "The request does not match the schema; see errors.", { errors: [{ pointer: "/phone", detail: "not a valid phone number" }] });
  return phone;
}

const isUniqueViolation = (err: unknown) => err instanceof Error && /unique|duplicate key/i.test(err.message);

/** POST /api/v1/accounts */
export async function createAccount(api: ApiContext, request: Request): Promise<Response> {
  const body = await readJson(request);
  const parsed = CreateAccount.safeParse(body);
  if (!parsed.success) throw validationProblem(parsed.error);
  const input = parsed.data;
  const rawIdem = request.headers.get("idempotency-key");
  let idem: string | null = null;
  if (rawIdem !== null) {
    const checked = IdempotencyKey.safeParse(rawIdem);
    if (!checked.success) throw new ApiProblem(422, "The Idempotency-Key header is not valid.", { errors: [{ pointer: "Idempotency-Key", detail: "1–255 printable ASCII characters" }] });
    idem = checked.data;
  }
  const phone = input.phone ? phoneOrProblem(api, input.phone) : null;
  const hash = requestHash(body);
  const now = api.services.clock.now();
  const keyId = api.apiKey.id;

  let outcome: { status: number; body: string; replayed: boolean };
  try {
    outcome = await inTransaction(api, async (tx) => {
      const db = tx.services.db;
      // Read-then-write on rows that may not exist yet (docs/decisions/0017, rule 3).
      await serializeOn(db, ...(idem ? [`api-idempotency:${keyId}:${idem}`] : []), `username:${normaliseUsername(input.username)}`);
      if (idem) {
        const record = await findIdempotencyRecord(db, keyId, idem, now);
        if (record) {
          if (record.request_hash !== hash) throw new ApiProblem(422, "This Idempotency-Key was already used with a different request body.");
          return { status: record.response_status, body: record.response_body, replayed: true };
        }
      }
      let user: User;
      try {
        user = await prepareUser(db, { username: input.username, email: input.email, phone, verified: false }, { now, defaultRegion: api.services.config.defaultPhoneRegion });
      } catch (err) {
        if (err instanceof AccountError && /already taken/.test(err.message)) throw new ApiProblem(409, "That username is already taken.");
        if (err instanceof AccountError) throw new ApiProblem(422, err.message);
        throw err;
      }
      user.email_verified = input.email_verified ? 1 : 0;
      user.phone_verified = phone && input.phone_verified ? 1 : 0;
      if (input.password_hash) {
        user.password_hash = input.password_hash;
        user.password_changed_at = now;
      }
      await insertUser(db, user);
      await recordEvent(tx, {
        event: "account_created",
        outcome: "success",
        userId: user.id,
        details: {
          via: "api",
          with_password: Boolean(input.password_hash),
          imported_hash: input.password_hash ? (BCRYPT_HASH.test(input.password_hash) ? "bcrypt" : "argon2id") : null,
          email_verified: user.email_verified === 1,
          phone_verified: user.phone_verified === 1,
        },
      });
      const responseBody = JSON.stringify(accountJson(user));
      if (idem) {
        // Records live 24 h: each new one sweeps the expired (indexed on expires_at).
        await purgeIdempotencyRecords(db, now);
        await storeIdempotencyRecord(db, { key_id: keyId, idempotency_key: idem, request_hash: hash, response_status: 201, response_body: responseBody, created_at: now, expires_at: now + IDEMPOTENCY_TTL_MS });
      }
      return { status: 201, body: responseBody, replayed: false };
    });
  } catch (err) {
    if (err instanceof AccountError && /already taken/.test(err.message)) throw new ApiProblem(409, "That username is already taken.");
    if (isUniqueViolation(err)) throw new ApiProblem(409, "That username is already taken.");
    throw err;
  }
  const id = (JSON.parse(outcome.body) as { id: string }).id;
  return new Response(outcome.body, {
    status: outcome.status,
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
      Location: `/api/v1/accounts/${id}`,
      ...(outcome.replayed ? { "Idempotent-Replayed": "true" } : {}),
    },
  });
}

/** GET /api/v1/accounts/{id} */
export async function getAccount(api: ApiContext, rawId: string | undefined): Promise<Response> {
  const user = await existing(api, accountId(rawId));
  await recordEvent(api, { event: "account_read", outcome: "success", userId: user.id, details: { via: "api" } });
  return json(200, accountJson(user));
}

/** GET /api/v1/accounts?username= */
export async function findAccount(api: ApiContext, request: Request): Promise<Response> {
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = UsernameQuery.safeParse(query);
  if (!parsed.success) throw new ApiProblem(422, "Look an account up with ?username=…", { errors: parsed.error.issues.map((i) => ({ pointer: String(i.path[0] ?? "username"), detail: i.message })) });
  const user = await findUserByUsername(api.services.db, parsed.data.username);
  if (!user) throw new ApiProblem(404, "There is no account with that username.");
  await recordEvent(api, { event: "account_read", outcome: "success", userId: user.id, details: { via: "api" } });
  return json(200, accountJson(user));
}

/**
 * PATCH /api/v1/accounts/{id}: a changed e-mail or phone is stored unverified unless its
 * verified flag is given in the same request; a flag alone sets the flag. A changed contact ends
 * the account's sessions and open recovery flows, as a contact change on /account does, and is
 * audited as `email_changed`/`phone_changed` (so webhook `contact.changed` fires).
 */
export async function updateAccount(api: ApiContext, rawId: string | undefined, request: Request): Promise<Response> {
  const id = accountId(rawId);
  const body = await readJson(request);
  const parsed = UpdateAccount.safeParse(body);
  if (!parsed.success) throw validationProblem(parsed.error);
  const input = parsed.data;
  const phone = typeof input.phone === "string" ? phoneOrProblem(api, input.phone) : input.phone;

  const updated = await inTransaction(api, async (tx) => {
    const db = tx.services.db;
    const user = await existing(tx, id);
    const set: Parameters<typeof updateContacts>[2] = {};
    const changed: ("email" | "phone")[] = [];
    if (input.email !== undefined && normaliseEmail(input.email) !== user.email) {
      set.email = normaliseEmail(input.email);
      set.email_verified = input.email_verified ? 1 : 0;
      changed.push("email");
    } else if (input.email_verified !== undefined) {
      set.email_verified = input.email_verified ? 1 : 0;
    }
    if (phone !== undefined && phone !== user.phone) {
      set.phone = phone;
      set.phone_verified = phone && input.phone_verified ? 1 : 0;
      changed.push("phone");
    } else if (input.phone_verified !== undefined) {
      if (!user.phone && input.phone_verified) {
        throw new ApiProblem(422, "The account has no phone number to mark verified.", { errors: [{ pointer: "/phone_verified", detail: "no phone number" }] });
      }
      set.phone_verified = input.phone_verified ? 1 : 0;
    }
    await updateContacts(db, user.id, set);
    let sessions = 0;
    if (changed.length) {
      sessions = await deleteAllSessions(db, { type: "user", id: user.id });
      await cancelFlows(db, { userId: user.id });
    }
    for (const kind of changed) {
      await recordEvent(tx, { event: `${kind}_changed`, outcome: "success", userId: user.id, details: { via: "api", verified: set[`${kind}_verified`] === 1, sessions_revoked: sessions } });
    }
    if (!changed.length && Object.keys(set).length) {
      await recordEvent(tx, { event: "contact_verification_set", outcome: "success", userId: user.id, details: { via: "api", email_verified: set.email_verified ?? null, phone_verified: set.phone_verified ?? null } });
    }
    return (await findUserById(db, user.id))!;
  });
  return json(200, accountJson(updated));
}

/** POST /api/v1/accounts/{id}/disable and /enable: the CLI's `user disable|enable`, as the key. */
export async function setStatus(api: ApiContext, rawId: string | undefined, status: "active" | "disabled"): Promise<Response> {
  const user = await existing(api, accountId(rawId));
  const after = await setAccountStatus(api, user.username, status);
  return json(200, accountJson(after));
}

/**
 * DELETE /api/v1/accounts/{id}: erases the account's personal data and keeps a tombstone. The
 * account row goes, and with it (ON DELETE CASCADE) its factors, password history, recovery flows,
 * locks, pending contact changes and "This wasn't me" links; its sessions, sign-in failure
 * counters and recovery networks are deleted here; tickets stay but lose the link. The audit log
 * is append-only: the tombstone is the `account_deleted` row (account id, the key, no name, no
 * contact), and earlier rows keep only what they held (ids, outcomes, network).
 */
export async function deleteAccount(api: ApiContext, rawId: string | undefined): Promise<Response> {
  const id = accountId(rawId);
  await inTransaction(api, async (tx) => {
    const db = tx.services.db;
    const user = await existing(tx, id);
    const sessions = await deleteAllSessions(db, { type: "user", id: user.id });
    await clearFailures(db, failureKey(api.services.config.secretKey, user.id, ""));
    await forgetRecoveryNetworks(db, user.id, Number.MAX_SAFE_INTEGER);
    await recordEvent(tx, { event: "account_deleted", outcome: "success", userId: user.id, details: { via: "api", tombstone: true, sessions_revoked: sessions } });
    await deleteUser(db, user.id);
  });
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
}
