import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addAccounts, startApp, type TestApp } from "../helpers/app";
import { customers } from "../helpers/customer";
import { Client } from "../helpers/http";
import { probesAt } from "../helpers/probes";
import { testDatabaseUrl, testEngine } from "../helpers/postgres";
import { startRedis, type RedisServer } from "../helpers/redis";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { addPasskey, passkeySignIn, postJson, SoftPasskey } from "../helpers/webauthn";

/**
 * Several app nodes on one database: three portal processes share one PostgreSQL database (and,
 * in the second variant, Redis for the limits) behind a small load balancer in the test process,
 * so they share one APP_ORIGIN as a real deployment does. Each request goes to the node its client
 * names (header x-test-node); a browser moving between nodes keeps its cookies. Every node runs
 * the outbox worker; one SMTP sink catches what any of them sends.
 *
 * PostgreSQL only: SQLite is one file for one process (docs/decisions/0010); several nodes are
 * what PostgreSQL is for. Runs in the integration-pg project, on the run's cluster.
 */

const PASSWORD = "granite willow ferry compass";
const NEW_PASSWORD = "silver heron maple quartz";
const email = (u: string) => `${u}@example.test`;
const NODES = ["a", "b", "c"] as const;
type NodeName = (typeof NODES)[number];

/** Forwards each request, unchanged (Host included), to the node its x-test-node header names. */
async function startBalancer(ports: Map<string, number>) {
  const server = http.createServer((req, res) => {
    const port = ports.get(String(req.headers["x-test-node"] ?? "a"));
    if (!port) return res.writeHead(502).end("no such node");
    const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.headersSent || res.writeHead(502).end("node unavailable"));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { origin: `http://localhost:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const variant of [{ redis: false }, { redis: true }]) {
  const label = variant.redis ? "three nodes on one PostgreSQL database, limits in Redis" : "three nodes on one PostgreSQL database";
  describe.runIf(testEngine() === "postgres")(label, () => {
    const ports = new Map<string, number>();
    const nodes: TestApp[] = [];
    let balancer: Awaited<ReturnType<typeof startBalancer>> | undefined;
    let mail: SmtpSink | undefined;
    let redis: RedisServer | undefined;
    let databaseUrl = "";
    const tag = variant.redis ? "r" : "p";
    const name = (u: string) => `${u}${tag}`;

    // The customer driver on the balancer's origin; `at` moves a browser (its cookie jar) to a node.
    const world = () => ({ app: { ...nodes[0]!, origin: balancer!.origin } as TestApp, mail });
    const customer = customers(world, { ip: variant.redis ? "10.72" : "10.71", headers: { "x-test-node": "a" } });
    const at = (c: Client, node: NodeName) => {
      const moved = new Client(c.origin, { ...c.defaults, "x-test-node": node });
      moved.cookies = c.cookies;
      return moved;
    };
    const probe = () => probesAt(databaseUrl);

    beforeAll(async () => {
      [mail, databaseUrl, redis] = await Promise.all([startSmtpSink(), testDatabaseUrl(), variant.redis ? startRedis() : undefined]);
      balancer = await startBalancer(ports);
      const env = {
        DATABASE_URL: databaseUrl,
        APP_ORIGIN: balancer.origin,
        TRUST_PROXY: "loopback",
        SESSION_IDLE_MINUTES: "1440",
        LOCKOUT_TEMPORARY_AFTER: "3",
        LOCKOUT_DELAY_AFTER: "5",
        ...(redis ? { REDIS_URL: redis.url } : {}),
      };
      // All three start at once: their migrations take turns under the migration lock.
      nodes.push(...(await Promise.all(NODES.map(() => startApp({ smtpUrl: mail!.url, env })))));
      NODES.forEach((n, i) => ports.set(n, nodes[i]!.port));
      await addAccounts(nodes[0]!, [
        { username: name("nlink") },
        { username: name("ncode") },
        { username: name("nlock"), password: PASSWORD },
        { username: name("nkey"), password: PASSWORD },
        { username: name("nsess"), password: PASSWORD },
      ]);
    }, 180_000);

    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await balancer?.close();
      await mail?.close();
      await redis?.stop();
      probesAt(databaseUrl).close();
    });

    test("every node is ready and they share one database", async () => {
      for (const n of NODES) {
        const res = await at(customer.client(), n).get("/readyz");
        expect([n, res.status, await res.text()]).toEqual([n, 200, "ready"]);
      }
      expect(probe().migrations().length).toBeGreaterThan(0);
    });

    test("a reset requested on node A is completed through node B with the link and through node C with the code", async () => {
      // By link: asked on A, the emailed link opened and finished in another browser on B.
      const u1 = name("nlink");
      const { link } = await customer.requestResetMail(u1, email(u1), at(customer.client(), "a"));
      const onB = at(customer.client(), "b");
      const followed = await customer.followLink(link, onB);
      expect(followed.status).toBe(303);
      expect(followed.location).toBe("/reset/password");
      expect((await customer.setPassword(onB, NEW_PASSWORD)).location).toBe("/reset/done");

      // By code: asked on A, the code typed in the same browser, now served by C.
      const u2 = name("ncode");
      const asked = at(customer.client(), "a");
      const { code } = await customer.requestResetMail(u2, email(u2), asked);
      const entered = await customer.enterCode(at(asked, "c"), code);
      expect(entered.status).toBe(303);
      expect(entered.location).toBe("/reset/password");
      expect((await customer.setPassword(at(asked, "c"), NEW_PASSWORD)).location).toBe("/reset/done");

      // Both new passwords work on every node.
      for (const n of NODES) {
        await customer.signedIn(u1, NEW_PASSWORD, at(customer.client(), n));
        await customer.signedIn(u2, NEW_PASSWORD, at(customer.client(), n));
      }
    });

    test("the per-identifier limit (5 an hour) holds across the three nodes together", async () => {
      const identifier = `nobody-${tag}-${Date.now()}@example.test`;
      const order: NodeName[] = ["a", "b", "c", "a", "b", "c", "a"];
      const statuses: number[] = [];
      // Each request from a new client address, so only the identifier's budget is spent.
      for (const n of order) statuses.push((await customer.requestReset(identifier, at(customer.client(), n))).status);
      expect(statuses).toEqual([303, 303, 303, 303, 303, 429, 429]);
      // The counters live where every node sees them: PostgreSQL's rate_limits, or Redis.
      if (variant.redis) expect(probe().rateLimitRows()).toBe(0);
      else expect(probe().rateLimitRows()).toBeGreaterThan(0);
    });

    test("the lockout counts failed sign-ins made on different nodes", async () => {
      const u = name("nlock");
      const userId = probe().userRow(u)!.id;
      // Three wrong passwords, one per node, lock the account (LOCKOUT_TEMPORARY_AFTER=3 here).
      for (const [i, n] of NODES.entries()) {
        expect((await customer.signIn(u, `wrong guess on node ${n} ${i}`, at(customer.client(), n))).status).toBe(400);
      }
      expect(probe().latestLockOf(userId)).toMatchObject({ reason: "failed_attempts", ended_at: null });
      // Now the right password is refused on every node.
      for (const n of NODES) expect((await customer.signIn(u, PASSWORD, at(customer.client(), n))).status).toBe(400);
    });

    test("a passkey challenge issued by one node is verified by another, and spent once across nodes", async () => {
      const u = name("nkey");
      const key = new SoftPasskey(balancer!.origin);
      // Registration: options from A, attestation verified by B.
      const c = await customer.signedIn(u, PASSWORD, at(customer.client(), "a"));
      const added = await addPasskey(at(c, "a"), at(c, "b"), key);
      expect(added, JSON.stringify(added.json)).toMatchObject({ status: 200, json: { ok: true } });
      expect(probe().passkeysOf(probe().userRow(u)!.id)).toHaveLength(1);

      // Sign-in: options from C, assertion verified by A; the session works on B.
      const browser = at(customer.client(), "c");
      const signedIn = await passkeySignIn(browser, at(browser, "a"), key);
      expect(signedIn).toMatchObject({ status: 200, json: { ok: true, redirect: "/account" } });
      expect(await customer.isSignedIn(at(browser, "b"))).toBe(true);

      // One challenge, the same assertion sent to A and B at once: exactly one node accepts it.
      const racer = at(customer.client(), "c");
      const options = await postJson(racer, "/webauthn", { step: "options", use: "sign-in" });
      const assertion = key.assert(options.json.options as { challenge: string });
      const jars = (["a", "b"] as const).map((n) => {
        const copy = at(racer, n);
        copy.cookies = new Map(racer.cookies);
        return copy;
      });
      const answers = await Promise.all(jars.map((j) => postJson(j, "/webauthn", { step: "verify", use: "sign-in", response: assertion })));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    });

    test("a session made on one node is valid on the others and ended on all of them by a reset", async () => {
      const u = name("nsess");
      const c = await customer.signedIn(u, PASSWORD, at(customer.client(), "a"));
      for (const n of NODES) expect(await customer.isSignedIn(at(c, n))).toBe(true);
      // The password is reset through node B (link from an email asked for on node C).
      const { link } = await customer.requestResetMail(u, email(u), at(customer.client(), "c"));
      const other = at(customer.client(), "b");
      expect((await customer.followLink(link, other)).location).toBe("/reset/password");
      expect((await customer.setPassword(other, NEW_PASSWORD)).location).toBe("/reset/done");
      for (const n of NODES) expect(await customer.isSignedIn(at(c, n))).toBe(false);
      expect(probe().sessionsOf(probe().userRow(u)!.id)).toBe(0);
    });
  });
}
