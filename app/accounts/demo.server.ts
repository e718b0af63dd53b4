import type { Services } from "~/services.server";
import { createUser, findUserByUsername } from "./accounts.server";

/** Demo accounts for development (never in production). Created once; printed at every start. */
export const DEMO_ACCOUNTS = [
  { username: "alice", email: "alice@example.com", phone: "+12025550143", password: "purple otter lantern harbour" },
  { username: "bob", email: "bob@example.com", phone: null, password: "quiet maple orbit saddle" },
] as const;

export async function seedDemoAccounts(services: Services): Promise<void> {
  const { db, clock, config } = services;
  const created: string[] = [];
  for (const demo of DEMO_ACCOUNTS) {
    if (await findUserByUsername(db, demo.username)) continue;
    try {
      await createUser(db, demo, {
        now: clock.now(),
        policy: config.password,
        appName: config.appName,
        defaultRegion: config.defaultPhoneRegion,
      });
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
