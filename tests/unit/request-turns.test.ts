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
