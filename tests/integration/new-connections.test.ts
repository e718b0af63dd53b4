import http from "node:http";
import net from "node:net";
import { afterAll, describe, expect, test } from "vitest";
import { startApp, type TestApp } from "../helpers/app";
import { testEngine } from "../helpers/postgres";

/**
 * A customer's first request is not held back by the customers already being served
 * (docs/decisions/0037). Node's libuv accepts one connection per poll of the event loop; a busy
 * portal used to start a turn of requests between two accepts, so a burst of new connections
 * was accepted one turn apart. Counted, not timed: how many answers the connections already open
 * got while a burst of new connections waited for theirs. The engine plays no part: SQLite only.
 */

let app: TestApp | undefined;
afterAll(async () => app?.stop());

/** One request on a connection of its own, answered or not; resolves when the answer has come. */
function onNewConnection(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      if (head.includes("\r\n\r\n")) {
        socket.destroy();
        resolve();
      }
    });
    socket.on("error", reject);
  });
}

describe.runIf(testEngine() === "sqlite")("new connections under load", () => {
  test("a burst of 30 new connections is answered while the connections already open get few answers, not one turn of them per new connection", async () => {
    app = await startApp({ env: { LOG_LEVEL: "warn" } });
    const { origin } = app;
    const port = Number(new URL(origin).port);
    // 40 connections kept open, each asking again as soon as it is answered: the portal is busy
    // and has requests waiting at every turn.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 40 });
    let served = 0;
    let loading = true;
    const ask = () =>
      new Promise<void>((resolve, reject) => {
        http
          .get(`${origin}/forgot-password`, { agent }, (res) => {
            res.resume();
            res.on("end", () => {
              served++;
              resolve();
            });
          })
          .on("error", reject);
      });
    const clients = Array.from({ length: 40 }, async () => {
      while (loading) await ask();
    });
    try {
      while (served < 400) await new Promise((r) => setTimeout(r, 20));
      const before = served;
      let last = 0;
      await Promise.all(
        Array.from({ length: 30 }, () =>
          onNewConnection(port, "/forgot-password").then(() => {
            last = Math.max(last, served - before);
          }),
        ),
      );
      // One turn starts up to sixteen requests: accepted one turn apart, the thirtieth would wait
      // for hundreds of answers on the open connections. Accepted first, its request waits only
      // behind the forty already queued, and a few turns' worth.
      expect(last).toBeLessThan(150);
    } finally {
      loading = false;
      await Promise.allSettled(clients);
      agent.destroy();
    }
  }, 60_000);
});
