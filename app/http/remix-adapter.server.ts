import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from "express";
import { createRequestHandler as createRemixHandler, writeReadableStreamToWritable, type AppLoadContext, type ServerBuild } from "@remix-run/node";

/**
 * Express → Remix, as @remix-run/express's createRequestHandler does it, with less work per request
 * (issue 12): the body of a POST is read into one buffer instead of through a web-stream adapter
 * (the edge has already refused bodies over FORM_BODY_LIMIT and bodies of unknown length) and
 * Remix reads it from there (BufferedRequest), the URL
 * is handed to Request as a string (parsed once, not twice), and one "close" listener replaces the
 * "finish" + "close" pair. The response side is unchanged: same status, headers (res.append, so
 * Express still adds a charset to a bare Content-Type) and streamed body.
 */

type GetLoadContext = (req: ExpressRequest, res: ExpressResponse, request: Request) => AppLoadContext | Promise<AppLoadContext>;

export function createRequestHandler({ build, mode, getLoadContext }: { build: ServerBuild; mode: string; getLoadContext: GetLoadContext }) {
  const handleRequest = createRemixHandler(build, mode);
  return async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    try {
      const request = await toWebRequest(req, res);
      const response = await handleRequest(request, await getLoadContext(req, res, request));
      await sendResponse(res, response);
    } catch (error) {
      // Express 4 does not catch a rejected handler.
      next(error);
    }
  };
}

async function toWebRequest(req: ExpressRequest, res: ExpressResponse): Promise<Request> {
  const headers = new Headers();
  for (const key in req.headers) {
    const value = req.headers[key];
    if (!value) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.set(key, value);
  }
  const controller = new AbortController();
  // Abort loaders and actions once no response can be written (closed before it finished).
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const body = req.method !== "GET" && req.method !== "HEAD" ? await readBody(req) : null;
  // Remix only runs after the edge's Host check: Host is APP_ORIGIN's host here, and
  // X-Forwarded-Host has been dropped, so this is the URL @remix-run/express would build.
  // req.protocol follows "trust proxy". originalUrl keeps the full path.
  return new BufferedRequest(`${req.protocol}://${req.headers.host}${req.originalUrl}`, req.method, headers, body, controller.signal);
}

// Node's own rules: text() drops a leading BOM, a URL-encoded form keeps it.
const textDecoder = new TextDecoder("utf-8");
const formDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** What Node's Request answers for one built from a URL, a method and headers alone. */
const FIXED = {
  cache: "default",
  credentials: "same-origin",
  destination: "",
  integrity: "",
  keepalive: false,
  mode: "cors",
  redirect: "follow",
  referrer: "about:client",
  referrerPolicy: "",
  duplex: "half",
  isReloadNavigation: false,
  isHistoryNavigation: false,
} as const;

// The type of the attributes in FIXED, which are defined on the prototype below the class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the members are FIXED's
export interface BufferedRequest extends Pick<Request, "cache" | "credentials" | "destination" | "integrity" | "keepalive" | "mode" | "redirect" | "referrer" | "referrerPolicy"> {}

/**
 * A web Request whose body is already in memory (issue 12). Node's own Request wraps every body in
 * a web stream and reads it back through that stream, and following an outside AbortSignal costs
 * it a listener, a WeakRef and a finalizer per request: 37 µs for a small form POST on the bench
 * machine, against 8 µs here. So this one keeps the body and the signal itself, and reads text,
 * JSON and URL-encoded forms straight from the buffer, with Node's decoding rules (UTF-8, bad bytes
 * as U+FFFD). It does not run Node's constructor at all (0031): that one would copy the headers and
 * make an AbortSignal of its own, which V8 builds by changing an object's prototype.
 *
 * The first use of `body` (Remix passes it on when it builds a new Request, which it does only for
 * a URL with a query string, docs/decisions/0028), `blob()` or a multipart form hands everything
 * to a real Request over the same bytes, so a body is still read at most once and `bodyUsed`
 * stays true to it.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- with the interface above
export class BufferedRequest implements Request {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly #buffer: Buffer | null;
  readonly #signal: AbortSignal;
  #used = false;
  #real: Request | undefined;

  constructor(url: string, method: string, headers: Headers, buffer: Buffer | null, signal: AbortSignal) {
    // Serialised as Node's Request serialises it (and refused as it refuses it).
    this.url = new URL(url).href;
    this.method = method;
    this.headers = headers;
    this.#buffer = buffer;
    this.#signal = signal;
  }

  #delegate(): Request {
    if (this.#real) return this.#real;
    this.#real = new Request(this.url, { method: this.method, headers: this.headers, body: this.#buffer as Uint8Array<ArrayBuffer> | null, signal: this.#signal });
    // Read here already: the real one must be as used as this one was.
    if (this.#used) void this.#real.arrayBuffer();
    return this.#real;
  }

  #take(): Buffer {
    if (this.#used) throw new TypeError("Body is unusable: Body has already been read");
    this.#used = true;
    return this.#buffer ?? Buffer.alloc(0);
  }

  async text(): Promise<string> {
    if (this.#real) return this.#real.text();
    return textDecoder.decode(this.#take());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real) return this.#real.arrayBuffer();
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }

  blob(): Promise<Blob> {
    return this.#delegate().blob();
  }

  async formData(): Promise<FormData> {
    const essence = (this.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (this.#real || essence !== "application/x-www-form-urlencoded") return this.#delegate().formData();
    const form = new FormData();
    for (const [name, value] of new URLSearchParams(formDecoder.decode(this.#take()))) form.append(name, value);
    return form;
  }

  get signal(): AbortSignal {
    return this.#signal;
  }

  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#buffer ? this.#delegate().body : null;
  }

  get bodyUsed(): boolean {
    return this.#real ? this.#real.bodyUsed : this.#used;
  }

  clone(): Request {
    if (this.#real) return this.#real.clone();
    if (this.#used) throw new TypeError("Request.clone: Body has already been consumed.");
    return new BufferedRequest(this.url, this.method, new Headers(this.headers), this.#buffer, this.#signal);
  }
}
for (const [name, value] of Object.entries(FIXED)) Object.defineProperty(BufferedRequest.prototype, name, { value, configurable: true });
// A Request to every check (`instanceof Request`, its toStringTag) without Node's constructor.
// Every member of Request is its own, so none of Node's, which read the state its constructor sets
// up, is ever called on it.
Object.setPrototypeOf(BufferedRequest.prototype, Request.prototype);

function readBody(req: ExpressRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      if (req.complete) return;
      done();
      reject(new Error("request body aborted"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

async function sendResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers) res.append(key, value);
  if (/text\/event-stream/i.test(response.headers.get("content-type") ?? "")) res.flushHeaders();
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}
