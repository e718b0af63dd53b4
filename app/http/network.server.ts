import { isIPv4, isIPv6 } from "node:net";

/**
 * An address as a customer may see it (account security page, new-device notice): never the
 * full address. IPv4 keeps its first three parts ("203.0.113.x", the /24); IPv6 keeps its first
 * three groups ("2001:db8:85a3::/48", the size of a site's allocation). An IPv4 address mapped
 * into IPv6 ("::ffff:203.0.113.7") is shown as IPv4. Anything else is "unknown network".
 */
export function approximateNetwork(ip: string | null | undefined): string {
  const raw = (ip ?? "").trim();
  const v4 = raw.startsWith("::ffff:") && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
  if (isIPv4(v4)) return `${v4.split(".").slice(0, 3).join(".")}.x`;
  if (isIPv6(raw)) {
    const [head, tail = ""] = raw.toLowerCase().split("::");
    const left = head ? head.split(":") : [];
    const right = tail ? tail.split(":") : [];
    const groups = raw.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
    const prefix = groups.slice(0, 3).map((g) => g.replace(/^0+(?=.)/, ""));
    return `${prefix.join(":")}::/48`;
  }
  return "unknown network";
}
