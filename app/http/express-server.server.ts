import http from "node:http";
import type { Express } from "express";

/**
 * The portal's HTTP server: Node's, with request and response classes that are already Express's
 * (docs/decisions/0031).
 *
 * Express's `init` middleware moves every request onto `app.request` and every response onto
 * `app.response` with `Object.setPrototypeOf`. On V8 that gives each of them a map of its own
 * instead of a shared one, and they outlive the young generation: on a bare Express route it cost
 * two thirds of the throughput and promoted about 4.4 KiB per request to the old generation, which
 * then needed two mark-compacts a second under load. Here Node builds each request and response
 * from subclasses whose prototypes are `app.request` and `app.response` themselves, so the call
 * finds the prototype it asks for and changes nothing. Express's own prototypes stay in the chain:
 * `req.app`, `req.ip`, `res.send` and the rest are unchanged.
 */
export function createExpressServer(app: Express): http.Server {
  class PortalRequest extends http.IncomingMessage {}
  class PortalResponse extends http.ServerResponse {}
  Object.setPrototypeOf(PortalRequest.prototype, app.request);
  Object.setPrototypeOf(PortalResponse.prototype, app.response);
  // Express's types describe its request and response, which these prototypes now are.
  app.request = PortalRequest.prototype as unknown as Express["request"];
  app.response = PortalResponse.prototype as unknown as Express["response"];
  return http.createServer({ IncomingMessage: PortalRequest, ServerResponse: PortalResponse }, app);
}
