import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

/** E.164 form of a phone number as typed, or null when it is not a valid number. */
export function normalisePhone(raw: string, defaultRegion: string): string | null {
  const trimmed = raw.trim();
  if (trimmed.length < 3 || trimmed.length > 32 || !/^[+\d\s().-]+$/.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed, defaultRegion as CountryCode);
  return parsed && parsed.isValid() ? parsed.number : null;
}

/** True when the text someone typed looks like a phone number rather than a username. */
export function looksLikePhone(raw: string): boolean {
  return /^\+?[\d\s().-]{7,}$/.test(raw.trim()) && /\d{3}/.test(raw.replace(/\D/g, ""));
}
