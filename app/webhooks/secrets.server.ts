import crypto from "node:crypto";

/**
 * Endpoint secrets: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form), stored
 * sealed with AES-256-GCM under a key derived from SECRET_KEY for this one purpose, so a copy of
 * the database alone cannot sign events. The portal must read them back to sign: a hash would not do.
 */
function webhookKey(secretKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", secretKey, Buffer.alloc(0), "portal webhook secrets v1", 32));
}

export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString("base64")}`;
}

export function sealWebhookSecret(secretKey: Buffer, plain: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", webhookKey(secretKey), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function openWebhookSecret(secretKey: Buffer, stored: string): string {
  const [version, iv, tag, body] = stored.split(".");
  if (version !== "v1" || !iv || !tag || !body) throw new Error("unreadable webhook secret");
  const decipher = crypto.createDecipheriv("aes-256-gcm", webhookKey(secretKey), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}
