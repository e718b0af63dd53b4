import crypto from "node:crypto";
import { openSecret, sealSecret } from "~/security/crypto.server";

/**
 * Endpoint secrets: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form), stored
 * sealed with AES-256-GCM under a key derived from SECRET_KEY for this one purpose, so a copy of
 * the database alone cannot sign events. The portal must read them back to sign: a hash would not do.
 */
const PURPOSE = "portal webhook secrets v1";

export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString("base64")}`;
}

export function sealWebhookSecret(secretKey: Buffer, plain: string): string {
  return sealSecret(secretKey, PURPOSE, plain);
}

export function openWebhookSecret(secretKey: Buffer, stored: string): string {
  return openSecret(secretKey, PURPOSE, stored);
}
