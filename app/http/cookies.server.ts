/**
 * Cookie names and attributes in one place. On https origins every cookie uses the __Host-
 * prefix with Secure and Path=/ and no Domain (SES-05); on http://localhost (development and
 * tests) the plain name is used, since browsers refuse __Host- without Secure on plain http.
 */
export type CookieOptions = { secure: boolean; sameSite?: "Lax" | "Strict"; maxAgeSeconds?: number };

export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

export function serializeCookie(base: string, value: string, options: CookieOptions): string {
  const parts = [`${cookieName(base, options.secure)}=${value}`, "Path=/", "HttpOnly", `SameSite=${options.sameSite ?? "Lax"}`];
  if (options.secure) parts.push("Secure");
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  return parts.join("; ");
}

export function clearCookie(base: string, options: CookieOptions): string {
  return serializeCookie(base, "", { ...options, maxAgeSeconds: 0 });
}

export function readCookie(request: Request, base: string, secure: boolean): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  const name = cookieName(base, secure);
  for (const pair of header.split(";")) {
    const i = pair.indexOf("=");
    if (i < 0) continue;
    if (pair.slice(0, i).trim() === name) {
      const value = pair.slice(i + 1).trim();
      return value.length > 0 && value.length <= 512 ? value : null;
    }
  }
  return null;
}
