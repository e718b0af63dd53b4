import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createExpressServer } from "~/http/express-server.server";

// The server the portal listens with (server.ts). Express's `init` middleware puts every request
// on `app.request` and every response on `app.response`; here they must already be there when
// Node hands them over, so that call changes no object's prototype (docs/decisions/0031).

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function listen(app: express.Express, make: (app: express.Express) => http.Server) {
  const seen: { request: boolean; response: boolean }[] = [];
  server = make(app);
  // Before Express: what Node built, as Express's init middleware will find it.
  server.prependListener("request", (req, res) => {
    seen.push({ request: Object.getPrototypeOf(req) === app.request, response: Object.getPrototypeOf(res) === app.response });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, origin };
}

function portalLikeApp() {
  const app = express();
  app.set("trust proxy", "loopback");
  app.use((_req, res, next) => {
    res.locals.tag = "locals work";
    next();
  });
  app.get("/echo", (req, res) => {
    res
      .status(201)
      .type("json")
      .send(JSON.stringify({ sameApp: req.app === app, ip: req.ip, query: req.query, path: req.path, protocol: req.protocol, tag: res.locals.tag, isRequest: req instanceof http.IncomingMessage, isResponse: res instanceof http.ServerResponse }));
  });
  app.post("/form", express.urlencoded({ extended: false }), (req, res) => res.json({ body: req.body }));
  return app;
}

describe("the portal's HTTP server (0031)", () => {
  it("Node builds each request and response on Express's own prototypes, so Express changes neither", async () => {
    const app = portalLikeApp();
    const { seen, origin } = await listen(app, createExpressServer);
    for (let i = 0; i < 3; i++) expect((await fetch(`${origin}/echo`)).status).toBe(201);
    expect(seen).toEqual(Array(3).fill({ request: true, response: true }));
  });

  it("without it, Express moves every request and response onto its prototypes (the cost 0031 removes)", async () => {
    const app = portalLikeApp();
    const { seen, origin } = await listen(app, (a) => http.createServer(a));
    expect((await fetch(`${origin}/echo`)).status).toBe(201);
    expect(seen).toEqual([{ request: false, response: false }]);
  });

  it("Express behaves as before: its request and response methods, req.app, res.locals, body parsing, its 404", async () => {
    const app = portalLikeApp();
    const { origin } = await listen(app, createExpressServer);
    const echo = await fetch(`${origin}/echo?a=1&b=two`, { headers: { "x-forwarded-for": "203.0.113.9" } });
    expect(echo.status).toBe(201);
    expect(echo.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await echo.json()).toEqual({ sameApp: true, ip: "203.0.113.9", query: { a: "1", b: "two" }, path: "/echo", protocol: "http", tag: "locals work", isRequest: true, isResponse: true });

    const form = await fetch(`${origin}/form`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=ada" });
    expect(await form.json()).toEqual({ body: { name: "ada" } });

    expect((await fetch(`${origin}/nowhere`)).status).toBe(404);
  });

  it("each app keeps its own prototypes: two servers do not share request classes", async () => {
    const first = portalLikeApp();
    const second = portalLikeApp();
    createExpressServer(first);
    createExpressServer(second);
    expect(first.request).not.toBe(second.request);
    expect(first.request.app).toBe(first);
    expect(second.request.app).toBe(second);
    expect(first.response.app).toBe(first);
  });
});
