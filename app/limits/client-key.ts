import net from "node:net";

/**
 * The client as per-client limits see it. One IPv6 customer usually holds a whole /64 and can
 * pick any address in it, so IPv6 clients are grouped by their /64; IPv4 addresses (and
 * IPv4-mapped IPv6 ones) stand alone (L4).
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (net.isIPv6(ip)) return `${expandIpv6(ip).slice(0, 4).join(":")}::/64`;
  return ip;
}

function expandIpv6(ip: string): string[] {
  const [head, tail] = ip.split("%")[0].split("::");
  const left = head ? head.split(":") : [];
  const right = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}
