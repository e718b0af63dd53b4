import { z } from "zod";

/** Form schemas of the recovery pages, shared by browser and server. Messages are catalogue keys, translated where a page shows them. */

export const identifierSchema = z.object({
  identifier: z
    .string({ error: "recovery:errors.identifierRequired" })
    .trim()
    .min(1, "recovery:errors.identifierRequired")
    .max(320, "recovery:errors.identifierTooLong"),
});

export const codeSchema = z.object({
  code: z
    .string({ error: "recovery:errors.codeFormat" })
    .max(32, "recovery:errors.codeFormat")
    .transform((v) => v.replace(/[\s-]/g, ""))
    .pipe(z.string().regex(/^\d{6}$/, "recovery:errors.codeFormat")),
});

export const newPasswordSchema = z.object({
  password: z.string({ error: "recovery:errors.passwordRequired" }).min(1, "recovery:errors.passwordRequired").max(4096, "recovery:errors.passwordTooLong"),
  confirm: z.string({ error: "recovery:errors.confirmRequired" }).min(1, "recovery:errors.confirmRequired").max(4096, "recovery:errors.passwordTooLong"),
});
