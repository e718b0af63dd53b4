import { z } from "zod";

/** Form schemas of the recovery pages, shared by browser and server. */

export const identifierSchema = z.object({
  identifier: z
    .string({ error: "Enter your username, email or phone number" })
    .trim()
    .min(1, "Enter your username, email or phone number")
    .max(320, "That's longer than any username, email address or phone number. Check what you typed."),
});

export const codeSchema = z.object({
  code: z
    .string({ error: "Enter the 6-digit code from the message" })
    .max(32, "Enter the 6-digit code from the message")
    .transform((v) => v.replace(/[\s-]/g, ""))
    .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code from the message")),
});

export const newPasswordSchema = z.object({
  password: z.string({ error: "Enter a new password" }).min(1, "Enter a new password").max(4096, "That password is far too long"),
  confirm: z.string({ error: "Type the new password again" }).min(1, "Type the new password again").max(4096, "That password is far too long"),
});
