import crypto from "node:crypto";
import { describe, expect, test } from "vitest";
import { openSecret, sealSecret } from "~/security/crypto.server";
import { decryptSecret } from "~/factors/totp.server";
import { openWebhookSecret, sealWebhookSecret } from "~/webhooks/secrets.server";

const KEY = Buffer.from("k".repeat(64));

/** How authenticator secrets were sealed before the shared helper: rows stored then must still open. */
function sealedTheOldWay(plain: string): string {
  const key = Buffer.from(crypto.hkdfSync("sha256", KEY, Buffer.alloc(0), "portal totp secrets v1", 32));
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

describe("secrets sealed at rest (authenticator seeds, webhook secrets)", () => {
  test("round trip, a fresh IV each time, and one purpose's key never opens another's", () => {
    const a = sealSecret(KEY, "purpose a", "JBSWY3DPEHPK3PXP");
    expect(sealSecret(KEY, "purpose a", "JBSWY3DPEHPK3PXP")).not.toBe(a);
    expect(openSecret(KEY, "purpose a", a)).toBe("JBSWY3DPEHPK3PXP");
    expect(() => openSecret(KEY, "purpose b", a)).toThrow();
    expect(() => openSecret(Buffer.from("x".repeat(64)), "purpose a", a)).toThrow();
    expect(() => openSecret(KEY, "purpose a", "v2.a.b.c")).toThrow(/unreadable/);
    const w = sealWebhookSecret(KEY, "whsec_abc");
    expect(openWebhookSecret(KEY, w)).toBe("whsec_abc");
    expect(() => decryptSecret(KEY, w)).toThrow();
  });

  test("an authenticator secret sealed before the shared helper still opens", () => {
    expect(decryptSecret(KEY, sealedTheOldWay("JBSWY3DPEHPK3PXP"))).toBe("JBSWY3DPEHPK3PXP");
  });
});
