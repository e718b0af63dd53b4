import { describe, expect, test } from "vitest";
import { approximateNetwork } from "~/http/network.server";

describe("approximateNetwork (account security page, new-device notice)", () => {
  test("IPv4 keeps its /24, IPv6 its /48, a mapped IPv4 shows as IPv4; never the full address", () => {
    expect(approximateNetwork("203.0.113.77")).toBe("203.0.113.x");
    expect(approximateNetwork("::ffff:198.51.100.9")).toBe("198.51.100.x");
    expect(approximateNetwork("2001:db8:85a3:1:2:3:4:5")).toBe("2001:db8:85a3::/48");
    expect(approximateNetwork("2001:0db8::7")).toBe("2001:db8:0::/48");
    expect(approximateNetwork("::1")).toBe("0:0:0::/48");
  });

  test("anything that is not an address is an unknown network", () => {
    for (const v of ["", null, undefined, "unknown", "203.0.113", "<script>"]) expect(approximateNetwork(v)).toBe("unknown network");
  });
});
