import { generateSecret, generateURI, verify } from "otplib";
import { openSecret, sealSecret } from "~/security/crypto.server";

/**
 * Authenticator-app codes (RFC 6238 via otplib 13): 160-bit secrets, 30-second steps, ±1 step
 * of drift, each step accepted once (MFA-04). Secrets are encrypted at rest with AES-256-GCM
 * under a key derived from SECRET_KEY.
 */

const PURPOSE = "portal totp secrets v1";

export function encryptSecret(secretKey: Buffer, plain: string): string {
  return sealSecret(secretKey, PURPOSE, plain);
}

export function decryptSecret(secretKey: Buffer, stored: string): string {
  return openSecret(secretKey, PURPOSE, stored);
}

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(issuer: string, label: string, secret: string): string {
  return generateURI({ issuer, label, secret });
}

/**
 * The otpauth:// URI as a QR image (data: URL, allowed by the CSP's img-src). qrcode is loaded on
 * first use, like the passkey library: only the authenticator-app set-up page draws one.
 */
export async function totpQr(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toDataURL(uri, { margin: 1, width: 220 });
}

/**
 * Checks a code at `nowMs`. Returns the time step it matched, which must be later than the last
 * accepted step (replay cache), or null.
 */
export async function verifyTotp(secret: string, code: string, nowMs: number, lastStep: number): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const epoch = Math.floor(nowMs / 1000);
  const result = await verify({ secret, token: code, epoch, epochTolerance: 30 });
  if (!result.valid) return null;
  const step = Math.floor(epoch / 30) + result.delta;
  return step > lastStep ? step : null;
}
