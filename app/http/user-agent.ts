/** "Chrome on Windows"-style summary of a User-Agent, for security notifications. */
export function describeBrowser(ua: string): string {
  if (!ua) return "an unknown browser";
  const browser =
    /Edg\//.test(ua) ? "Edge" :
    /OPR\//.test(ua) ? "Opera" :
    /Firefox\//.test(ua) ? "Firefox" :
    /Chrom(e|ium)\//.test(ua) ? "Chrome" :
    /Safari\//.test(ua) ? "Safari" :
    /curl|wget|node|undici|python/i.test(ua) ? "a script or command-line tool" : "a browser";
  const os =
    /Windows/.test(ua) ? "Windows" :
    /Android/.test(ua) ? "Android" :
    /iPhone|iPad|iOS/.test(ua) ? "iOS" :
    /Mac OS X|Macintosh/.test(ua) ? "macOS" :
    /CrOS/.test(ua) ? "ChromeOS" :
    /Linux/.test(ua) ? "Linux" : null;
  return os ? `${browser} on ${os}` : browser;
}
