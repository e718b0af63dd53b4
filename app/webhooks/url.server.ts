import dns from "node:dns";
import net from "node:net";

/**
 * SSRF rules for webhook targets (docs/decisions/0020-webhooks.md). A URL must be https in
 * production; http only to a loopback host outside production. Its host, as a literal address or
 * through every address DNS gives, must not be private (RFC 1918), loopback (in production),
 * link-local (169.254.0.0/16 with the cloud metadata address, fe80::/10), unique-local (fc00::/7),
 * CGNAT (100.64.0.0/10), unspecified, multicast or reserved, unless WEBHOOK_ALLOW_PRIVATE=1. The
 * check runs at `webhook add` and again at every delivery, on the very address the connection
 * then uses (DNS rebinding).
 */

export type WebhookTargetRules = { production: boolean; allowPrivate: boolean };

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

const BLOCKED = new net.BlockList();
for (const [net4, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  BLOCKED.addSubnet(net4, bits, "ipv4");
for (const [net6, bits] of [
  ["::", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["2001:db8::", 32],
] as const)
  BLOCKED.addSubnet(net6, bits, "ipv6");
// The metadata services' own addresses, named for the reader (each is in a range above too).
BLOCKED.addAddress("169.254.169.254", "ipv4");
BLOCKED.addAddress("fd00:ec2::254", "ipv6");

/** An IPv4 address carried in IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address. */
function unwrap(address: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: "ipv4" };
  // The URL parser writes it in hex (::ffff:a9fe:a9fe).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return { address: [hi >> 8, hi & 255, lo >> 8, lo & 255].join("."), family: "ipv4" };
  }
  return { address, family: net.isIPv6(address) ? "ipv6" : "ipv4" };
}

export function isLoopbackAddress(address: string): boolean {
  const a = unwrap(address);
  return LOOPBACK.check(a.address, a.family);
}

/** Why this address may not be a webhook target, or null when it may. */
export function addressProblem(address: string, rules: WebhookTargetRules): string | null {
  if (rules.allowPrivate) return null;
  const a = unwrap(address);
  if (!net.isIP(a.address)) return "not an address";
  if (LOOPBACK.check(a.address, a.family)) return rules.production ? "loopback address" : null;
  if (BLOCKED.check(a.address, a.family)) return "private, link-local or reserved address";
  return null;
}

function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/** Checks the URL's form (scheme, no credentials, literal address); DNS comes separately. */
export function urlProblem(raw: string, rules: WebhookTargetRules): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not an absolute URL";
  }
  if (raw.length > 2000) return "longer than 2000 characters";
  if (url.username || url.password) return "a URL with credentials";
  if (url.hash) return "a URL with a fragment";
  const host = bareHost(url);
  if (url.protocol === "http:") {
    const loopbackName = host === "localhost" || host.endsWith(".localhost") || (net.isIP(host) > 0 && isLoopbackAddress(host));
    if (rules.production) return "http (production needs https)";
    if (!loopbackName) return "http to a host that is not loopback (use https)";
  } else if (url.protocol !== "https:") return "not an https URL";
  if (net.isIP(host)) return addressProblem(host, rules);
  if (rules.production && !rules.allowPrivate && (host === "localhost" || host.endsWith(".localhost"))) return "loopback address";
  return null;
}

/** Every address the host resolves to; a problem with any one refuses the URL. */
export async function resolveProblem(raw: string, rules: WebhookTargetRules): Promise<string | null> {
  const host = bareHost(new URL(raw));
  if (net.isIP(host)) return addressProblem(host, rules);
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
  } catch {
    return "host does not resolve";
  }
  if (addresses.length === 0) return "host does not resolve";
  for (const a of addresses) {
    const problem = addressProblem(a.address, rules);
    if (problem) return `${problem} (${host} resolves to ${a.address})`;
  }
  return null;
}

/**
 * A `lookup` for http.request that refuses forbidden addresses: the connection goes to the address
 * that was checked, so a DNS answer that changes between the check and the connect cannot slip by.
 */
export function guardedLookup(rules: WebhookTargetRules): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, "", 4);
      const list = addresses as unknown as dns.LookupAddress[];
      for (const a of list) {
        const problem = addressProblem(a.address, rules);
        if (problem) return callback(Object.assign(new Error(`refused: ${problem} (${a.address})`), { code: "WEBHOOK_REFUSED" }), "", 4);
      }
      if (list.length === 0) return callback(new Error("host does not resolve"), "", 4);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
