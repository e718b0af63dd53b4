import net from "node:net";
import type { Request, Response } from "express";
import { describe, expect, test } from "vitest";
import { requestsInTurns } from "~/http/turns.server";

/**
 * Requests start in arrival order, a few per turn of the event loop (docs/decisions/0029): what
 * Node does in between (a turn's commit, reading newly ready sockets) happens between two groups.
 */

const req = {} as Request;
const res = {} as Response;
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

describe("requests in turns", () => {
  test("at most perTurn requests start in one turn, in the order they arrived; what a turn schedules runs before the next group", async () => {
    const started: string[] = [];
    const handler = requestsInTurns(2);
    for (const id of ["1", "2", "3", "4", "5"]) handler(req, res, () => started.push(id));
    // Registered after the queue's own turn: it runs right after the first group.
    setImmediate(() => started.push("|"));
    expect(started).toEqual([]);
    await settle();
    expect(started).toEqual(["1", "2", "|", "3", "4", "5"]);
  });

  test("a request that arrives while others wait goes after them", async () => {
    const started: string[] = [];
    const handler = requestsInTurns(2);
    handler(req, res, () => {
      started.push("1");
      // Arrives during the first turn, behind 2, 3 and 4.
      handler(req, res, () => started.push("late"));
    });
    for (const id of ["2", "3", "4"]) handler(req, res, () => started.push(id));
    await settle();
    expect(started).toEqual(["1", "2", "3", "4", "late"]);
  });
});

/**
 * New connections come first (docs/decisions/0037). libuv accepts one connection per poll, so a
 * turn that starts requests between two accepts makes each new connection wait a turn longer.
 */
describe("requests in turns, new connections", () => {
  test("connections that are waiting to be accepted are all accepted before the next turn starts a request", async () => {
    const events: string[] = [];
    const turns = requestsInTurns(2);
    const server = net.createServer((socket) => {
      events.push("accept");
      turns.connectionAccepted();
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const clients = Array.from({ length: 6 }, () => net.connect(port, "127.0.0.1").on("error", () => {}));
      for (let i = 0; i < 10; i++) turns(req, res, () => events.push("start"));
      // The handshakes complete in the kernel while this thread is busy: six connections wait.
      const until = Date.now() + 100;
      while (Date.now() < until);
      for (let i = 0; i < 100 && events.filter((e) => e === "start").length < 10; i++) await settle();
      const first = events.indexOf("accept");
      expect(events.filter((e) => e === "accept")).toHaveLength(6);
      // Six accepts in a row: no turn of requests between two of them.
      expect(events.slice(first, first + 6)).toEqual(Array(6).fill("accept"));
      expect(events.filter((e) => e === "start")).toHaveLength(10);
      for (const c of clients) c.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a flood of connections still leaves a turn of requests every maxAcceptsBetweenTurns accepts", async () => {
    const started: number[] = [];
    let polls = 0;
    const turns = requestsInTurns(1, 3);
    // Every turn of the loop "accepts" a connection, forever.
    let flooding = true;
    const flood = () => {
      polls++;
      turns.connectionAccepted();
      if (flooding) setImmediate(flood);
    };
    flood();
    for (let i = 0; i < 3; i++) turns(req, res, () => started.push(polls));
    await settle();
    flooding = false;
    expect(started).toHaveLength(3);
    // Three turns left to accepting, then one that starts a request.
    expect(started[1] - started[0]).toBeLessThanOrEqual(5);
    expect(started[2] - started[1]).toBeLessThanOrEqual(5);
  });

  test("a connection accepted before its request is read passes one turn, then its request starts", async () => {
    const started: string[] = [];
    const turns = requestsInTurns(2);
    turns.connectionAccepted();
    for (const id of ["1", "2", "3"]) turns(req, res, () => started.push(id));
    // Registered after the queue's own turn, which is passed: it runs before any request starts.
    setImmediate(() => started.push("|"));
    await settle();
    expect(started).toEqual(["|", "1", "2", "3"]);
  });
});
