import os from "node:os";
import { hash, verify } from "@node-rs/argon2";
import bcrypt from "bcryptjs";

/**
 * Argon2id at OWASP's minimum (m=19 MiB, t=2, p=1), PWD-10. The library runs on libuv's thread
 * pool, so hashing never blocks the event loop. Passwords are NFC-normalised first (PWD-11).
 */
// algorithm 2 is Argon2id (the package exports it as a const enum, which isolatedModules cannot read).
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Argon2id runs on one core fewer than the machine has (at least one), so the event loop always
 * has a core. libuv's pool has 4 threads: on a 2-core machine, two or more hashes at once only
 * fought the request thread and each other for the cores and the memory bus, and each held its
 * own 19 MiB block. Measured with `npm run bench` on 2 cores, one at a time against two: 150–161
 * sign-ins/s against 131–133, 9–10 ms of CPU per completion against 12.5, event-loop p99 15–16 ms
 * against 21–22. Waiting callers queue in order; the event loop is never blocked.
 */
export const HASH_SLOTS = Math.max(1, os.availableParallelism() - 1);
let busy = 0;
const waiting: (() => void)[] = [];

async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (busy >= HASH_SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else busy++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next caller (busy stays the same), or free it.
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}

export function hashPassword(password: string): Promise<string> {
  const normalised = password.normalize("NFC");
  return inSlot(() => hash(normalised, OPTIONS));
}

/** A bcrypt hash imported through the provisioning API ($2a$, $2b$, $2y$; issue 17). */
export const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|1[0-4])\$[./A-Za-z0-9]{53}$/;
/** An Argon2id hash, PHC string format, within costs this portal is willing to verify. */
export const ARGON2ID_HASH = /^\$argon2id\$v=19\$m=(\d{4,6}),t=(\d{1,2}),p=(\d{1,2})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;

/**
 * True when a stored hash is not the portal's own Argon2id at today's parameters (an imported
 * bcrypt hash, or Argon2id with other costs): the next successful sign-in stores a fresh hash.
 */
export function needsRehash(storedHash: string): boolean {
  return !storedHash.startsWith(`$argon2id$v=19$m=${OPTIONS.memoryCost},t=${OPTIONS.timeCost},p=${OPTIONS.parallelism}$`);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  const normalised = password.normalize("NFC");
  try {
    // bcryptjs is pure JavaScript; its async compare yields to the event loop between rounds.
    if (BCRYPT_HASH.test(storedHash)) return await inSlot(() => bcrypt.compare(normalised, storedHash));
    return await inSlot(() => verify(storedHash, normalised));
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
