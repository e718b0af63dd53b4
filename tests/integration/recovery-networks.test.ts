import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate, openDatabase, openPostgres, type Connection } from "~/db/db.server";
import { noteRecoveryNetworkRow } from "~/stores/lockout.store";
import { testDatabaseUrl, testEngine } from "../helpers/postgres";
import { tempDir } from "../helpers/app";

/**
 * The suspicious-activity rule's bookkeeping (`noteRecoveryNetworkRow`): three statements on
 * SQLite, one on PostgreSQL (docs/decisions/0040). Both must forget the networks last seen an hour
 * or more ago, count each network once, and count the one that asks now. Runs on the project's
 * engine; tests/integration/account-locks.test.ts covers the rule through the portal.
 */

const HOUR = 3_600_000;
let connection: Connection;

beforeAll(async () => {
  connection = testEngine() === "postgres" ? openPostgres(await testDatabaseUrl()) : openDatabase(`${tempDir()}/portal.sqlite`);
  await migrate(connection);
});
afterAll(async () => {
  await connection?.close();
});

const note = (userId: string, network: string, now: number) => noteRecoveryNetworkRow(connection.db, userId, network, now, now - HOUR);
const rows = async (userId: string) =>
  (await connection.db.selectFrom("recovery_networks").select(["network_hash", "last_seen"]).where("user_id", "=", userId).orderBy("network_hash").execute()).map((r) => ({
    network: r.network_hash,
    lastSeen: Number(r.last_seen),
  }));

describe(`the suspicious-activity rule: networks that asked to recover an account in the last hour (${testEngine()})`, () => {
  test("each network counts once, the one asking now included; networks last seen an hour ago or more are forgotten", async () => {
    const t = 1_800_000_000_000;
    expect(await note("u1", "net-a", t)).toBe(1);
    expect(await note("u1", "net-b", t + 1_000)).toBe(2);
    // The same network again is the same row, seen later.
    expect(await note("u1", "net-a", t + 2_000)).toBe(2);
    expect(await rows("u1")).toEqual([
      { network: "net-a", lastSeen: t + 2_000 },
      { network: "net-b", lastSeen: t + 1_000 },
    ]);
    // An hour after net-b asked: net-b is forgotten, net-a (seen a second later) still counts.
    expect(await note("u1", "net-c", t + 1_000 + HOUR)).toBe(2);
    expect(await rows("u1")).toEqual([
      { network: "net-a", lastSeen: t + 2_000 },
      { network: "net-c", lastSeen: t + 1_000 + HOUR },
    ]);
    // A network forgotten and asking again counts again, as a new one.
    expect(await note("u1", "net-b", t + 1_500 + HOUR)).toBe(3);
    // Another account's networks are its own.
    expect(await note("u2", "net-a", t + 1_500 + HOUR)).toBe(1);
    expect(await rows("u1")).toHaveLength(3);
  });
});
