import { transaction, type Db } from "~/db/db.server";
import { randomId } from "~/security/crypto.server";
import * as store from "~/stores/users.store";
import type { User } from "~/stores/users.store";
import { FALLBACK_LOCALE, type Locale } from "~/i18n/config";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password-hash.server";
import { checkPassword, loadPasswordLanguage, type PolicySettings } from "./password-policy";
import { isValidEmail, isValidUsername, normaliseEmail, normaliseUsername } from "./identifiers";
import { normalisePhone } from "./phone";

/**
 * Customer accounts (staff are app/support/staff.server.ts; the rows, app/stores/users.store.ts).
 * Other capabilities go through these functions, which validate and normalise what they are given.
 */

export type { User } from "~/stores/users.store";

/** A problem an operator or customer can fix; the message is safe to show as is. */
export class AccountError extends Error {}

export type NewUser = {
  username: string;
  email: string;
  phone?: string | null;
  verified?: boolean;
  password?: string | null;
};

type CreateOptions = { now: number; policy: PolicySettings; appName: string; defaultRegion: string };

/** Validates and normalises a new account without writing it. Throws AccountError. */
export async function prepareUser(db: Db, input: NewUser, options: Omit<CreateOptions, "policy" | "appName">): Promise<User> {
  const username = normaliseUsername(input.username);
  if (!isValidUsername(username)) {
    throw new AccountError(`invalid username "${input.username}": use 3–32 letters, digits, dots, dashes or underscores`);
  }
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new AccountError(`invalid email "${input.email}"`);
  let phone: string | null = null;
  if (input.phone) {
    phone = normalisePhone(input.phone, options.defaultRegion);
    if (!phone) throw new AccountError(`invalid phone number "${input.phone}"`);
  }
  if (await findUserByUsername(db, username)) throw new AccountError(`username "${username}" is already taken`);
  const verified = input.verified ?? true;
  return {
    id: randomId(),
    username,
    email,
    email_verified: verified ? 1 : 0,
    phone,
    phone_verified: phone && verified ? 1 : 0,
    password_hash: null,
    password_changed_at: null,
    status: "active",
    created_at: options.now,
  };
}

/** Writes a prepared account. Call inside a transaction when inserting several. */
export async function insertUser(db: Db, user: User): Promise<void> {
  // Re-check at write time: the CLI may run beside the server.
  if (await findUserByUsername(db, user.username)) throw new AccountError(`username "${user.username}" is already taken`);
  await store.insertUser(db, user);
}

export async function createUser(db: Db, input: NewUser, options: CreateOptions): Promise<User> {
  const user = await prepareUser(db, input, options);
  if (input.password != null) {
    await loadPasswordLanguage(FALLBACK_LOCALE);
    const verdict = checkPassword(input.password, options.policy, { username: user.username, email: user.email, appName: options.appName });
    if (!verdict.ok) throw new AccountError(`password rejected: ${verdict.reasons[0]}`);
    user.password_hash = await hashPassword(input.password);
    user.password_changed_at = options.now;
  }
  await transaction(db, (trx) => insertUser(trx, user));
  return user;
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  return store.findUserById(db, id);
}

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return store.findUserByUsername(db, normaliseUsername(username));
}

export async function findUsersByEmail(db: Db, email: string): Promise<User[]> {
  return store.findUsersByEmail(db, normaliseEmail(email));
}

export async function findUsersByVerifiedPhone(db: Db, e164: string): Promise<User[]> {
  return store.findUsersByVerifiedPhone(db, e164);
}

/** Username or email, as typed on the sign-in and recovery forms. */
export async function findUsersByLogin(db: Db, identifier: string): Promise<User[]> {
  const value = identifier.normalize("NFC").trim().toLowerCase();
  if (value.includes("@")) return findUsersByEmail(db, value);
  const user = await findUserByUsername(db, value);
  return user ? [user] : [];
}

/**
 * Checks a password for the account the identifier names. Unknown identifiers and accounts
 * without a password still run one Argon2id verification so timing does not reveal them.
 */
export async function authenticate(db: Db, identifier: string, password: string): Promise<User | null> {
  const candidates = (await findUsersByLogin(db, identifier)).filter((u) => u.status === "active");
  const withPassword = candidates.filter((u) => u.password_hash);
  if (withPassword.length === 0) {
    await verifyPassword(await dummyHash(), password);
    return null;
  }
  for (const user of withPassword) {
    if (await verifyPassword(user.password_hash!, password)) {
      // An imported bcrypt (or weaker Argon2id) hash becomes the portal's Argon2id now that the
      // password is known (issue 17); a password changed meanwhile is left alone (conditional write).
      if (needsRehash(user.password_hash!)) {
        const fresh = await hashPassword(password);
        const old = user.password_hash!;
        if (await transaction(db, (trx) => store.replacePasswordHash(trx, user.id, old, fresh))) user.password_hash = fresh;
      }
      return user;
    }
  }
  return null;
}

/** Recent password hashes, newest first, for the "not one of your last N passwords" rule. */
export async function passwordHistory(db: Db, userId: string, limit: number): Promise<string[]> {
  return store.passwordHistory(db, userId, limit);
}

export async function isInHistory(db: Db, userId: string, password: string, limit: number): Promise<boolean> {
  for (const h of await passwordHistory(db, userId, limit)) {
    if (await verifyPassword(h, password)) return true;
  }
  return false;
}

/** Stores a new password hash and its history row. Call inside the caller's transaction. */
export async function storePasswordHash(db: Db, userId: string, passwordHash: string, now: number): Promise<void> {
  await store.storePasswordHash(db, userId, passwordHash, now);
}

/** The next password sign-in must choose a new password first (PWD-06); a new password clears it. */
export async function flagPasswordChange(db: Db, userId: string): Promise<void> {
  await store.flagPasswordChange(db, userId);
}

export async function setUserStatus(db: Db, username: string, status: User["status"]): Promise<User> {
  const user = await findUserByUsername(db, username);
  if (!user) throw new AccountError(`no user named "${username}"`);
  await store.setUserStatus(db, user.id, status);
  return { ...user, status };
}

/** The customer's preferred language, for their e-mails and text messages (issue 16). */
export async function setPreferredLocale(db: Db, userId: string, locale: Locale): Promise<void> {
  await store.setUserLocale(db, userId, locale);
}

export async function countUsers(db: Db): Promise<number> {
  return store.countUsers(db);
}
