import { z } from "zod";
import "zod-openapi";
import { isValidEmail, isValidUsername, normaliseEmail, normaliseUsername } from "~/accounts/identifiers";
import { ARGON2ID_HASH, BCRYPT_HASH } from "~/accounts/password-hash.server";

/**
 * The provisioning API's request and response shapes (issue 17). The routes validate with these
 * and the OpenAPI document (app/api/openapi.server.ts) is generated from these, so the two cannot
 * drift. Field names are snake_case, as in the rest of the portal's data.
 */

export const SCOPES = ["accounts:read", "accounts:write"] as const;
export type Scope = (typeof SCOPES)[number];

/** Argon2id costs the portal will verify at sign-in (an imported hash must not be a denial of service). */
const ARGON2_MAX = { m: 262_144, t: 10, p: 8 };

function importableHash(value: string): boolean {
  if (BCRYPT_HASH.test(value)) return true;
  const m = ARGON2ID_HASH.exec(value);
  if (!m) return false;
  const [mem, t, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mem >= 8 * p && mem <= ARGON2_MAX.m && t >= 1 && t <= ARGON2_MAX.t && p >= 1 && p <= ARGON2_MAX.p;
}

const username = z
  .string()
  .max(64)
  .refine((v) => isValidUsername(normaliseUsername(v)), "use 3–32 letters, digits, dots, dashes or underscores")
  .meta({ description: "Sign-in name; stored lower-case.", example: "carol" });
const email = z
  .string()
  .max(254)
  .refine((v) => isValidEmail(normaliseEmail(v)), "not a valid e-mail address")
  .meta({ description: "E-mail address.", example: "carol@example.com" });
const phone = z.string().max(32).meta({ description: "Phone number, E.164 or national format of DEFAULT_PHONE_REGION.", example: "+12025550143" });

export const CreateAccount = z
  .strictObject({
    username,
    email,
    phone: phone.nullable().optional(),
    email_verified: z.boolean().default(false).meta({ description: "Whether your system verified the e-mail address (default false)." }),
    phone_verified: z.boolean().default(false).meta({ description: "Whether your system verified the phone number (default false; ignored without a phone)." }),
    password_hash: z
      .string()
      .max(512)
      .refine(importableHash, "must be an Argon2id ($argon2id$v=19$…, m ≤ 262144, t ≤ 10, p ≤ 8) or bcrypt ($2a$/$2b$/$2y$, cost 4–14) hash")
      .optional()
      .meta({
        description:
          "Import an existing password hash so the customer keeps their password: Argon2id (PHC string) or bcrypt. Rehashed to the portal's Argon2id at the first successful sign-in. Without it the account has no password (the customer sets one through a reset).",
        example: "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5cB0sKJjyMkrQ7bF8CCmqkqXz0G0sG2",
      }),
  })
  .meta({ id: "CreateAccount" });
export type CreateAccountInput = z.infer<typeof CreateAccount>;

export const UpdateAccount = z
  .strictObject({
    email: email.optional(),
    email_verified: z.boolean().optional().meta({ description: "Sets the e-mail's verified flag. A changed e-mail without this flag is stored unverified." }),
    phone: phone.nullable().optional().meta({ description: "A new phone number, or null to remove it." }),
    phone_verified: z.boolean().optional().meta({ description: "Sets the phone's verified flag. A changed phone without this flag is stored unverified." }),
  })
  .refine((v) => Object.keys(v).length > 0, "give at least one field")
  .meta({ id: "UpdateAccount" });
export type UpdateAccountInput = z.infer<typeof UpdateAccount>;

export const Account = z
  .object({
    id: z.string().meta({ example: "k3v6w2qf7d4xj5mz8p1rt9ab0c" }),
    username: z.string(),
    email: z.string(),
    email_verified: z.boolean(),
    phone: z.string().nullable().meta({ description: "E.164" }),
    phone_verified: z.boolean(),
    status: z.enum(["active", "disabled"]),
    has_password: z.boolean(),
    created_at: z.string().meta({ format: "date-time" }),
  })
  .meta({ id: "Account" });
export type AccountOutput = z.infer<typeof Account>;

export const Problem = z
  .object({
    type: z.string().meta({ description: "A URI reference naming the kind of problem." }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(z.object({ pointer: z.string().meta({ description: "JSON Pointer (RFC 6901) into the request body, or a parameter name." }), detail: z.string() }))
      .optional()
      .meta({ description: "Validation failures (422)." }),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details." });

export const AccountId = z.string().min(1).max(64).meta({ description: "The account's id.", example: "k3v6w2qf7d4xj5mz8p1rt9ab0c" });
export const UsernameQuery = z.strictObject({ username: z.string().min(1).max(64).meta({ description: "Find the account with this username." }) });
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/)
  .meta({ description: "Retry-safe creation: the same key and body within 24 h returns the first response; the same key with another body is a 422." });
