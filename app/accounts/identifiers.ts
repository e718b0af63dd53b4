import { z } from "zod";

/**
 * Shapes of the identifiers people type, shared by browser and server.
 * Email rules follow OWASP's input-validation cheat sheet (EML-03): one "@", a local part of at
 * most 63 safe characters, a domain of letters, digits, "-" and ".", at most 254 in all.
 */
export const EMAIL_RE = /^[a-z0-9](?:[a-z0-9._+-]{0,61}[a-z0-9_+-])?@(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const USERNAME_RE = /^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])?$/;

export function normaliseEmail(raw: string): string {
  return raw.normalize("NFC").trim().toLowerCase();
}

/**
 * The mailbox an address delivers to, for limits that must not be dodged by spelling one inbox
 * several ways (L4): lower case, no "+tag", and no dots for Gmail, which ignores them.
 */
export function mailboxKey(email: string): string {
  const value = normaliseEmail(email);
  const at = value.lastIndexOf("@");
  if (at < 1) return value;
  let local = value.slice(0, at).replace(/\+.*$/, "");
  const domain = value.slice(at + 1) === "googlemail.com" ? "gmail.com" : value.slice(at + 1);
  if (domain === "gmail.com") local = local.replace(/\./g, "");
  return `${local || value.slice(0, at)}@${domain}`;
}

export function isValidEmail(value: string): boolean {
  return value.length <= 254 && EMAIL_RE.test(value) && !value.includes("..");
}

export function normaliseUsername(raw: string): string {
  return raw.normalize("NFC").trim().toLowerCase();
}

export function isValidUsername(value: string): boolean {
  return USERNAME_RE.test(value);
}

export const emailSchema = z
  .string()
  .max(320)
  .transform(normaliseEmail)
  .refine(isValidEmail, "Enter an email address like name@example.com");

export const usernameSchema = z
  .string()
  .max(64)
  .transform(normaliseUsername)
  .refine(isValidUsername, "Usernames are 3–32 letters, digits, dots, dashes or underscores");

/**
 * What someone typed into "Username, email or phone number", normalised so that the same person
 * typing it differently lands on the same limiter key and flow (REQ-05, REQ-06).
 */
export function normaliseIdentifier(raw: string): string {
  return raw.normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ").slice(0, 320);
}
