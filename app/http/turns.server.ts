import type { RequestHandler } from "express";

/**
 * Requests start in the order they arrived, at most `perTurn` of them per turn of the event loop
 * (docs/decisions/0029). Each request waits in a queue; a turn starts the first `perTurn`, and the
 * rest wait for the next turn, after Node has read the sockets that became ready meanwhile (those
 * join the end of the queue).
 *
 * Node otherwise starts, in one turn, every request whose socket was ready when it polled: at 50
 * connections about 40 at once, all of whose promises and buffers are alive together until the
 * turn's group commit (0027), so more of them survived each young-generation collection and each
 * turn took longer. Sixteen at a time, at 50 connections, measured 12 % less CPU per request on the
 * request thread and a lower p99 latency (A/B in 0029); eight to twenty-four were alike, four
 * (commits of fewer units) and one (a commit per request) cost more.
 *
 * New connections come first (docs/decisions/0037). Node's libuv accepts one connection per poll
 * of the event loop, so behind a turn of sixteen requests (about 8 ms under load) a burst of new
 * connections was accepted one every 8 ms, and the last of fifty waited 0.2–0.4 s for its first
 * answer. A turn that follows a poll in which a connection was accepted starts nothing and
 * comes back after the next poll, which accepts the next connection; at most
 * `maxAcceptsBetweenTurns` times in a row, so a flood of connections still leaves room for the
 * requests already waiting.
 *
 * A quiet portal pays one `setImmediate` per request.
 */
export type RequestTurns = RequestHandler & {
  /** Call from the server's "connection" event: the turn after this poll is left to accepting. */
  connectionAccepted: () => void;
};

export function requestsInTurns(perTurn: number, maxAcceptsBetweenTurns = 64): RequestTurns {
  const waiting: (() => void)[] = [];
  let scheduled = false;
  let accepted = false;
  let passed = 0;
  const turn = () => {
    scheduled = false;
    if (accepted && passed < maxAcceptsBetweenTurns) {
      accepted = false;
      passed++;
      schedule();
      return;
    }
    accepted = false;
    passed = 0;
    try {
      for (let started = 0; started < perTurn && waiting.length > 0; started++) waiting.shift()!();
    } finally {
      if (waiting.length > 0) schedule();
    }
  };
  const schedule = () => {
    scheduled = true;
    setImmediate(turn);
  };
  const handler: RequestHandler = (_req, _res, next) => {
    waiting.push(next);
    if (!scheduled) schedule();
  };
  return Object.assign(handler, {
    connectionAccepted: () => {
      // Also when no turn is pending yet: under load the sockets read in this same poll schedule
      // one. On a quiet portal it costs a new connection's first request one more turn of the
      // loop, microseconds.
      accepted = true;
    },
  });
}
