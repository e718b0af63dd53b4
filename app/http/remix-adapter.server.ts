import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from "express";
import { createRequestHandler as createRemixHandler, writeReadableStreamToWritable, type AppLoadContext, type ServerBuild } from "@remix-run/node";

/**
 * Express → Remix, as @remix-run/express's createRequestHandler does it, with less work per request
 * (issue 12): the body of a POST is read into one buffer instead of through a web-stream adapter
 * (the edge has already refused bodies over FORM_BODY_LIMIT and bodies of unknown length), the URL
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
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, signal: controller.signal };
  // A Buffer is a Uint8Array; the DOM typings only want its ArrayBuffer to be a plain one.
  if (req.method !== "GET" && req.method !== "HEAD") init.body = (await readBody(req)) as Uint8Array<ArrayBuffer>;
  // Remix only runs after the edge's Host check: Host is APP_ORIGIN's host here, and
  // X-Forwarded-Host has been dropped, so this is the URL @remix-run/express would build.
  // req.protocol follows "trust proxy". originalUrl keeps the full path.
  return new Request(`${req.protocol}://${req.headers.host}${req.originalUrl}`, init);
}

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
