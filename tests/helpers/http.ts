import net from "node:net";

/**
 * A tiny cookie-keeping HTTP client for request-level tests (what a browser without JavaScript
 * would send). Redirects are not followed, so tests see every Set-Cookie and Location.
 */
export class Client {
  cookies = new Map<string, string>();
  constructor(
    readonly origin: string,
    readonly defaults: Record<string, string> = {},
  ) {}

  private cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim()));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.origin + path, {
      redirect: "manual",
      headers: { ...this.defaults, ...(this.cookieHeader() ? { cookie: this.cookieHeader()! } : {}), ...headers },
    });
    this.remember(res);
    return res;
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.origin + path, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: this.origin,
        ...this.defaults,
        ...(this.cookieHeader() ? { cookie: this.cookieHeader()! } : {}),
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    });
    this.remember(res);
    return res;
  }
}

export const DEMO_PASSWORD = "purple otter lantern harbour";

/**
 * What a client can observe, minus per-request noise (request id, date, CSP nonce, cookie values;
 * names and attributes of cookies are kept) and the headers named in `ignore`.
 */
export async function shape(res: Response, ignore: string[] = []) {
  const body = (await res.text()).replace(/nonce="[^"]*"/g, 'nonce="N"');
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (["x-request-id", "date", "set-cookie", ...ignore].includes(name)) return;
    headers[name] = name === "content-security-policy" ? value.replace(/'nonce-[^']+'/g, "'nonce-N'") : value;
  });
  const cookies = res.headers.getSetCookie().map((c) => {
    const [pair, ...attrs] = c.split(";");
    return [pair.slice(0, pair.indexOf("=")).trim() + "=<value>", ...attrs.map((a) => a.trim())].join("; ");
  });
  return { status: res.status, location: res.headers.get("location"), headers, cookies, body };
}

/** HTML text with the entities React escapes decoded. */
export function decodeHtml(s: string): string {
  return s.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Everything a response exposes, as one searchable string (headers, cookies, body). */
export async function everything(res: Response): Promise<string> {
  const headers: string[] = [];
  res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  return `${headers.join("\n")}\n${res.headers.getSetCookie().join("\n")}\n${await res.text()}`;
}

/**
 * A form POST on a raw socket whose headers go out now and whose body goes out when asked: the
 * portal has read the request (and checked its cookies) and waits for the body. Sending several
 * bodies at once puts their handlers in the portal at the same moment, which is how races are
 * tested without relying on timing luck. `sendBody` resolves with the status code.
 */
export function prestagedPost(origin: string, path: string, body: string, headers: Record<string, string> = {}) {
  const url = new URL(origin);
  const socket = net.connect(Number(url.port), "127.0.0.1");
  let raw = "";
  socket.on("data", (d) => (raw += d));
  const done = new Promise<number>((resolve, reject) => {
    socket.on("end", () => resolve(Number(raw.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0)));
    socket.on("error", reject);
  });
  const ready = new Promise<void>((resolve) => socket.on("connect", () => resolve()));
  const lines = Object.entries({
    Host: url.host,
    Origin: origin,
    "Content-Type": "application/x-www-form-urlencoded",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
    Connection: "close",
  }).map(([k, v]) => `${k}: ${v}`);
  return {
    async sendHeaders() {
      await ready;
      socket.write([`POST ${path} HTTP/1.1`, ...lines, "", ""].join("\r\n"));
    },
    sendBody() {
      socket.write(body);
      return done;
    },
  };
}
