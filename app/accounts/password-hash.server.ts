import { hash, verify } from "@node-rs/argon2";

/**
 * Argon2id at OWASP's minimum (m=19 MiB, t=2, p=1), PWD-10. The library runs on libuv's thread
 * pool, so hashing never blocks the event loop. Passwords are NFC-normalised first (PWD-11).
 */
// algorithm 2 is Argon2id (the package exports it as a const enum, which isolatedModules cannot read).
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize("NFC"), OPTIONS);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password.normalize("NFC"));
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** A real hash to verify against when there is no account, so unknown names take as long. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword("dummy password for timing equalisation only");
  return dummy;
}
