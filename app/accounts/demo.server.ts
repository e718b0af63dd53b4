import { transaction } from "~/db/db.server";
import type { Services } from "~/services.server";
import { findUserByUsername, insertUser, prepareUser } from "./accounts.server";

/**
 * Demo accounts for development (never in production). Created once; printed at every start.
 * Their Argon2id hashes are computed ahead: every development and test start used to judge the
 * passwords (loading zxcvbn's dictionaries) and hash them, about 0.2 s of CPU for two fixed
 * strings. tests/unit/demo-accounts.test.ts proves each hash is its password's, at today's
 * parameters, and that each password passes the default policy.
 */
export const DEMO_ACCOUNTS = [
  {
    username: "alice",
    email: "alice@example.com",
    phone: "+12025550143",
    password: "purple otter lantern harbour",
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$VeFut0uO+2FehtBdQGjWjQ$ZP/GdJoXeGwKcFVEXIHLod1tYIC4L6MUGAHAFbMeFks",
  },
  {
    username: "bob",
    email: "bob@example.com",
    phone: null,
    password: "quiet maple orbit saddle",
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$47Xb00yQgB3j+y8DOXGdVw$aQK6as1ejPRAyZcGsocivShk0Ji3n6y9uj0lKGauwM8",
  },
] as const;

export async function seedDemoAccounts(services: Services): Promise<void> {
  const { db, clock, config } = services;
  const created: string[] = [];
  for (const demo of DEMO_ACCOUNTS) {
    if (await findUserByUsername(db, demo.username)) continue;
    try {
      const now = clock.now();
      const user = await prepareUser(db, { username: demo.username, email: demo.email, phone: demo.phone }, { now, defaultRegion: config.defaultPhoneRegion });
      user.password_hash = demo.passwordHash;
      user.password_changed_at = now;
      await transaction(db, (trx) => insertUser(trx, user));
    } catch (error) {
      // Several nodes on one database starting at once: another one created it first.
      if (await findUserByUsername(db, demo.username)) continue;
      throw error;
    }
    created.push(demo.username);
  }
  const lines = DEMO_ACCOUNTS.map(
    (d) => `  ${d.username.padEnd(6)} ${d.email.padEnd(18)} password: ${d.password}`,
  );
  process.stderr.write(
    `Demo accounts${created.length ? " (created now)" : ""} — development only:\n${lines.join("\n")}\n`,
  );
}
