import { afterAll, describe, expect, test } from "vitest";
import { startApp, type TestApp } from "../helpers/app";
import { startPostgres, testEngine, type PostgresCluster } from "../helpers/postgres";
import { startRedis } from "../helpers/redis";

/**
 * /readyz tells a load balancer whether this node can serve: the database answers and, with
 * REDIS_URL, Redis answers. 200 "ready" or 503 with a short reason naming no host or secret,
 * never a 500. /healthz stays the cheap liveness answer.
 */

const started: { stop: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
});

async function get(app: TestApp, path: string) {
  const res = await fetch(app.origin + path);
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") ?? "" };
}

describe("/readyz", () => {
  test("answers 200 ready when the database answers (this project's engine)", async () => {
    const app = await startApp();
    started.push(app);
    expect(await get(app, "/readyz")).toMatchObject({ status: 200, text: "ready" });
    expect((await get(app, "/readyz")).type).toMatch(/^text\/plain/);
    expect(await get(app, "/healthz")).toMatchObject({ status: 200, text: "ok" });
    await app.stop();
  });

  test("after SIGTERM, with SHUTDOWN_DELAY_SECONDS: 503 'draining' while the node still serves, then it exits", async () => {
    const app = await startApp({ env: { SHUTDOWN_DELAY_SECONDS: "3" } });
    started.push(app);
    expect(await get(app, "/readyz")).toMatchObject({ status: 200, text: "ready" });
    const stopping = app.stop();
    let seen: Awaited<ReturnType<typeof get>> | undefined;
    for (let i = 0; i < 40 && !seen; i++) {
      const answer = await get(app, "/readyz");
      if (answer.status === 503) seen = answer;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toMatchObject({ status: 503, text: "draining" });
    // Still serving: the balancer has time to notice before the listener closes.
    expect(await get(app, "/healthz")).toMatchObject({ status: 200, text: "ok" });
    expect((await get(app, "/forgot-password")).status).toBe(200);
    await stopping;
  });

  test("with REDIS_URL: 200 while Redis answers, 503 'redis unavailable' once it is gone, 200 again when it is back", async () => {
    const redis = await startRedis();
    started.push(redis);
    const app = await startApp({ env: { REDIS_URL: redis.url } });
    started.push(app);
    expect(await get(app, "/readyz")).toMatchObject({ status: 200, text: "ready" });

    await redis.kill();
    const down = await get(app, "/readyz");
    expect(down).toMatchObject({ status: 503, text: "redis unavailable" });
    // Liveness does not depend on Redis: the process itself is fine.
    expect(await get(app, "/healthz")).toMatchObject({ status: 200, text: "ok" });

    const again = await startRedis(redis.port);
    started.push(again);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await get(app, "/readyz")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    await app.stop();
  });

  // PostgreSQL only: the test stops the database server under a running portal, which needs a
  // cluster of its own (the run's shared cluster serves other files). Losing the SQLite file under
  // a running process is not an outage SQLite has: its open handle keeps working.
  test.runIf(testEngine() === "postgres")("on PostgreSQL: 503 'database unavailable' once the server is stopped, never a 500", async () => {
    const cluster: PostgresCluster = await startPostgres({ maxConnections: 30 });
    started.push(cluster);
    const app = await startApp({ env: { DATABASE_URL: await cluster.createDatabase() } });
    started.push(app);
    expect(await get(app, "/readyz")).toMatchObject({ status: 200, text: "ready" });

    await cluster.stop();
    for (let i = 0; i < 3; i++) {
      const down = await get(app, "/readyz");
      expect(down).toMatchObject({ status: 503, text: "database unavailable" });
      expect(down.text).not.toContain("127.0.0.1");
    }
    expect((await get(app, "/healthz")).status).toBe(503);
    await app.stop();
  });
});
