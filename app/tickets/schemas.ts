import { z } from "zod";
import { EMAIL_RE } from "~/accounts/identifiers";

/** The assisted-recovery form. Length limits keep tickets readable and bodies small (AR-03). */
const text = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} can be at most ${max} characters`)
    .transform((v) => v.replace(/\r\n?/g, "\n"))
    .optional()
    .transform((v) => (v ? v : null));

export const ticketSchema = z.object({
  fullName: z
    .string({ error: "Enter your full name" })
    .trim()
    .min(1, "Enter your full name")
    .max(100, "Your name can be at most 100 characters")
    .refine((v) => !/[\r\n]/.test(v), "Your name must be on one line"),
  accountHint: text(320, "The username or email"),
  contactEmail: z
    .string({ error: "Enter an email address where we can reach you" })
    .trim()
    .toLowerCase()
    .max(254, "Enter an email address like name@example.com")
    .refine((v) => EMAIL_RE.test(v) && !v.includes(".."), "Enter an email address like name@example.com"),
  contactPhone: text(32, "The phone number").refine((v) => v === null || /^[+\d\s().-]{5,32}$/.test(v), "Enter a phone number using digits"),
  category: z.enum(["lost_email", "lost_factor", "locked", "compromised", "other"], { error: "Choose what happened" }),
  details: text(2000, "Your description"),
  lastSignInClaim: text(100, "This answer"),
  openedClaim: text(100, "This answer"),
  consent: z.literal("yes", { error: "Tick the box so we may contact you about this request" }),
});
