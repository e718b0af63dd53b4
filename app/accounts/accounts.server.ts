import type { Db } from "~/db/db.server";
import { randomId } from "~/security/crypto.server";
import { dummyHash, hashPassword, verifyPassword } from "./password-hash.server";
import { checkPassword, type PolicySettings } from "./password-policy";
import { isValidEmail, isValidUsername, normaliseEmail, normaliseUsername } from "./identifiers";
import { normalisePhone } from "./phone";

/**
 * The account store: customers (staff are app/support/staff.server.ts). Other capabilities go through these functions and
 * never query these tables themselves.
 */

export type User = {
  id: string;
  username: string;
  email: string;
  email_verified: number;
  phone: string | null;
  phone_verified: number;
  password_hash: string | null;
  password_changed_at: number | null;
  status: "active" | "disabled";
  created_at: number;
  /** 1 after a compromise report: the next sign-in must choose a new password (PWD-06). */
  password_change_required?: number;
};

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
export function prepareUser(db: Db, input: NewUser, options: Omit<CreateOptions, "policy" | "appName">): User {
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
  if (findUserByUsername(db, username)) throw new AccountError(`username "${username}" is already taken`);
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
export function insertUser(db: Db, user: User): void {
  // Re-check at write time: the CLI may run beside the server.
  if (findUserByUsername(db, user.username)) throw new AccountError(`username "${user.username}" is already taken`);
  db.prepare(
    `INSERT INTO users (id, username, email, email_verified, phone, phone_verified, password_hash, password_changed_at, status, created_at)
     VALUES (@id, @username, @email, @email_verified, @phone, @phone_verified, @password_hash, @password_changed_at, @status, @created_at)`,
  ).run(user);
  if (user.password_hash) {
    db.prepare("INSERT INTO password_history (user_id, password_hash, created_at) VALUES (?, ?, ?)").run(
      user.id,
      user.password_hash,
      user.created_at,
    );
  }
}

export async function createUser(db: Db, input: NewUser, options: CreateOptions): Promise<User> {
  const user = prepareUser(db, input, options);
  if (input.password != null) {
    const verdict = checkPassword(input.password, options.policy, { username: user.username, email: user.email, appName: options.appName });
    if (!verdict.ok) throw new AccountError(`password rejected: ${verdict.reasons[0]}`);
    user.password_hash = await hashPassword(input.password);
    user.password_changed_at = options.now;
  }
  db.transaction(() => insertUser(db, user)).immediate();
  return user;
}

export function findUserById(db: Db, id: string): User | undefined {
  return db.prepare("SELECT * FROM users WHERE id = ?").get(id) as User | undefined;
}

export function findUserByUsername(db: Db, username: string): User | undefined {
  return db.prepare("SELECT * FROM users WHERE username = ?").get(normaliseUsername(username)) as User | undefined;
}

export function findUsersByEmail(db: Db, email: string): User[] {
  return db.prepare("SELECT * FROM users WHERE email = ? ORDER BY created_at").all(normaliseEmail(email)) as User[];
}

export function findUsersByVerifiedPhone(db: Db, e164: string): User[] {
  return db
    .prepare("SELECT * FROM users WHERE phone = ? AND phone_verified = 1 ORDER BY created_at")
    .all(e164) as User[];
}

/** Username or email, as typed on the sign-in and recovery forms. */
export function findUsersByLogin(db: Db, identifier: string): User[] {
  const value = identifier.normalize("NFC").trim().toLowerCase();
  if (value.includes("@")) return findUsersByEmail(db, value);
  const user = findUserByUsername(db, value);
  return user ? [user] : [];
}

/**
 * Checks a password for the account the identifier names. Unknown identifiers and accounts
 * without a password still run one Argon2id verification so timing does not reveal them.
 */
export async function authenticate(db: Db, identifier: string, password: string): Promise<User | null> {
  const candidates = findUsersByLogin(db, identifier).filter((u) => u.status === "active");
  const withPassword = candidates.filter((u) => u.password_hash);
  if (withPassword.length === 0) {
    await verifyPassword(await dummyHash(), password);
    return null;
  }
  for (const user of withPassword) {
    if (await verifyPassword(user.password_hash!, password)) return user;
  }
  return null;
}

/** Recent password hashes, newest first, for the "not one of your last N passwords" rule. */
export function passwordHistory(db: Db, userId: string, limit: number): string[] {
  return (
    db
      .prepare("SELECT password_hash FROM password_history WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
      .all(userId, limit) as { password_hash: string }[]
  ).map((r) => r.password_hash);
}

export async function isInHistory(db: Db, userId: string, password: string, limit: number): Promise<boolean> {
  for (const h of passwordHistory(db, userId, limit)) {
    if (await verifyPassword(h, password)) return true;
  }
  return false;
}

/** Stores a new password hash and its history row. Call inside the caller's transaction. */
export function storePasswordHash(db: Db, userId: string, passwordHash: string, now: number): void {
  db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ?, password_change_required = 0 WHERE id = ?").run(passwordHash, now, userId);
  db.prepare("INSERT INTO password_history (user_id, password_hash, created_at) VALUES (?, ?, ?)").run(
    userId,
    passwordHash,
    now,
  );
}

/** The next password sign-in must choose a new password first (PWD-06); a new password clears it. */
export function flagPasswordChange(db: Db, userId: string): void {
  db.prepare("UPDATE users SET password_change_required = 1 WHERE id = ?").run(userId);
}

export function setUserStatus(db: Db, username: string, status: User["status"]): User {
  const user = findUserByUsername(db, username);
  if (!user) throw new AccountError(`no user named "${username}"`);
  db.prepare("UPDATE users SET status = ? WHERE id = ?").run(status, user.id);
  return { ...user, status };
}

export function countUsers(db: Db): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM users").get() as { n: number }).n;
}
