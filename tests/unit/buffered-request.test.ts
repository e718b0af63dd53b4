import { describe, expect, test } from "vitest";
import { BufferedRequest } from "~/http/remix-adapter.server";

/**
 * The Express → Remix adapter hands Remix a BufferedRequest instead of Node's own Request (issue 12).
 * Every way of reading it must give what Node's Request gives for the same bytes and headers.
 */
const URL_ = "http://localhost:3000/forgot-password";
const FORM = "application/x-www-form-urlencoded";

function pair(bytes: Buffer | null, contentType = FORM, method = "POST") {
  const headers = new Headers(contentType ? { "content-type": contentType } : {});
  const signal = new AbortController().signal;
  return {
    ours: new BufferedRequest(URL_, method, headers, bytes, signal) as Request,
    node: new Request(URL_, { method, headers, body: bytes as Uint8Array<ArrayBuffer> | null }),
  };
}

const entries = async (r: Request) => [...(await r.formData()).entries()];

const BODIES: Record<string, Buffer> = {
  plain: Buffer.from("identifier=alice%40example.test&website="),
  "plus and repeated names": Buffer.from("a=one+two&a=three&b=%E2%82%AC&=empty-name&flag"),
  "a BOM, kept": Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from("identifier=x")]),
  "bytes that are not UTF-8": Buffer.from([...Buffer.from("identifier=a"), 0xff, 0xfe, ...Buffer.from("&b=%FF")]),
  "a NUL character": Buffer.from("identifier=a%00b"),
  empty: Buffer.alloc(0),
};

describe("BufferedRequest reads like Node's Request", () => {
  for (const [name, bytes] of Object.entries(BODIES)) {
    test(`URL-encoded form: ${name}`, async () => {
      const { ours, node } = pair(bytes);
      expect(await entries(ours)).toEqual(await entries(node));
    });
    test(`text, JSON, bytes: ${name}`, async () => {
      for (const read of ["text", "arrayBuffer", "bytes", "blob"] as const) {
        const { ours, node } = pair(bytes);
        const [a, b] = [await ours[read](), await node[read]()];
        if (read === "text") expect(a).toBe(b);
        else if (read === "blob") expect(Buffer.from(await (a as Blob).arrayBuffer())).toEqual(Buffer.from(await (b as Blob).arrayBuffer()));
        else expect(Buffer.from(a as ArrayBuffer)).toEqual(Buffer.from(b as ArrayBuffer));
      }
    });
  }

  test("content-type parameters and case do not change the form", async () => {
    const { ours, node } = pair(BODIES.plain, "Application/X-WWW-Form-Urlencoded ; charset=UTF-8");
    expect(await entries(ours)).toEqual(await entries(node));
  });

  test("JSON parses the same, and bad JSON fails the same way", async () => {
    const good = pair(Buffer.from('{"a":[1,"é"]}'), "application/json");
    expect(await good.ours.json()).toEqual(await good.node.json());
    const bad = pair(Buffer.from("{nope"), "application/json");
    await expect(bad.ours.json()).rejects.toThrow(SyntaxError);
    await expect(bad.node.json()).rejects.toThrow(SyntaxError);
  });

  test("a multipart form is read by Node's parser, with the same fields", async () => {
    const multipart = new Request(URL_, { method: "POST", body: (() => { const f = new FormData(); f.append("identifier", "bob"); f.append("note", "x y"); return f; })() });
    const bytes = Buffer.from(await multipart.arrayBuffer());
    const { ours, node } = pair(bytes, multipart.headers.get("content-type")!);
    expect(await entries(ours)).toEqual([["identifier", "bob"], ["note", "x y"]]);
    expect(await entries(node)).toEqual([["identifier", "bob"], ["note", "x y"]]);
  });

  test("a body that is neither form kind is refused like Node refuses it", async () => {
    const { ours, node } = pair(Buffer.from("a=1"), "text/plain");
    await expect(ours.formData()).rejects.toThrow(TypeError);
    await expect(node.formData()).rejects.toThrow(TypeError);
  });

  test("a body is read once: bodyUsed, and a second read throws", async () => {
    const { ours } = pair(BODIES.plain);
    expect(ours.bodyUsed).toBe(false);
    await ours.formData();
    expect(ours.bodyUsed).toBe(true);
    await expect(ours.text()).rejects.toThrow(TypeError);
    expect(() => ours.clone()).toThrow(TypeError);
  });

  test("the body as a stream (what Remix passes to a new Request) carries the same bytes, once", async () => {
    const { ours } = pair(BODIES.plain);
    const copy = new Request(URL_, { method: "POST", headers: ours.headers, body: ours.body, duplex: "half" } as RequestInit);
    expect(await copy.text()).toBe(BODIES.plain.toString());
    expect(ours.bodyUsed).toBe(true);
    await expect(ours.formData()).rejects.toThrow(TypeError);
  });

  test("a body read before its stream is asked for leaves a used stream", async () => {
    const { ours } = pair(BODIES.plain);
    await ours.text();
    const stream = ours.body!;
    expect(stream).not.toBeNull();
    expect(ours.bodyUsed).toBe(true);
  });

  test("a clone reads the same body independently, and shares the signal", async () => {
    const controller = new AbortController();
    const ours = new BufferedRequest(URL_, "POST", new Headers({ "content-type": FORM }), BODIES.plain, controller.signal);
    const clone = ours.clone();
    expect(await clone.text()).toBe(BODIES.plain.toString());
    expect(await entries(ours)).toEqual([["identifier", "alice@example.test"], ["website", ""]]);
    controller.abort();
    expect(clone.signal.aborted).toBe(true);
  });

  test("GET: no body, empty text, URL, method and headers as given", async () => {
    const { ours, node } = pair(null, "", "GET");
    expect(ours.body).toBeNull();
    expect(ours.body).toBe(node.body);
    expect(await ours.text()).toBe(await node.text());
    expect([ours.url, ours.method, ours.headers.get("content-type")]).toEqual([node.url, node.method, node.headers.get("content-type")]);
  });

  test("its signal is the adapter's: aborted when the client goes away", () => {
    const controller = new AbortController();
    const ours = new BufferedRequest(URL_, "GET", new Headers(), null, controller.signal);
    expect(ours.signal.aborted).toBe(false);
    controller.abort();
    expect(ours.signal.aborted).toBe(true);
    // Remix builds its loaders' GET request from `signal: request.signal`; that one follows too.
    const controller2 = new AbortController();
    const followed = new Request(URL_, { signal: new BufferedRequest(URL_, "GET", new Headers(), null, controller2.signal).signal });
    controller2.abort();
    expect(followed.signal.aborted).toBe(true);
  });

  test("it is a Request to every check, with every attribute Node's Request has for the same URL, method and headers", () => {
    const { ours, node } = pair(BODIES.plain);
    expect(ours).toBeInstanceOf(Request);
    expect(Object.prototype.toString.call(ours)).toBe("[object Request]");
    const attributes = Object.getOwnPropertyNames(Request.prototype).filter((name) => Object.getOwnPropertyDescriptor(Request.prototype, name)?.get && !["body", "headers", "signal"].includes(name));
    expect(attributes).toEqual(expect.arrayContaining(["url", "method", "cache", "credentials", "mode", "redirect", "referrer", "duplex"]));
    for (const name of attributes) expect([name, (ours as unknown as Record<string, unknown>)[name]]).toEqual([name, (node as unknown as Record<string, unknown>)[name]]);
  });

  test("every member of Node's Request is its own, so none of Node's is called on it (0031)", () => {
    const ours = pair(BODIES.plain).ours;
    for (const name of Object.getOwnPropertyNames(Request.prototype)) {
      const node = Object.getOwnPropertyDescriptor(Request.prototype, name)!;
      // Getters and methods; Node's prototype also carries a stray `attribute: undefined`.
      if (name === "constructor" || !(node.get || typeof node.value === "function")) continue;
      // Node's getters and methods throw on an object its constructor did not set up.
      expect(() => Reflect.get(ours, name)).not.toThrow();
      const own = Object.getOwnPropertyDescriptor(BufferedRequest.prototype, name);
      expect([name, own !== undefined || Object.hasOwn(ours, name)]).toEqual([name, true]);
    }
  });

  test("built without Node's constructor: the headers are the adapter's own object, not a copy, and the URL is serialised as Node does", () => {
    const headers = new Headers({ "content-type": FORM });
    const ours = new BufferedRequest("http://localhost:3000/a/./b/../c?x=1 2&y=é", "POST", headers, BODIES.plain, new AbortController().signal);
    expect(ours.headers).toBe(headers);
    expect(ours.url).toBe(new Request("http://localhost:3000/a/./b/../c?x=1 2&y=é").url);
    expect(() => new BufferedRequest("http://[not a host", "GET", new Headers(), null, new AbortController().signal)).toThrow(TypeError);
  });
});
