import { data } from "@remix-run/node";

/**
 * Reads a submitted form. Anything that is not a normal form body, or cannot be parsed, is a
 * 400 with a friendly page, never a 500 (REQ-06).
 */
export async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    throw data("This page only accepts its own form. Go back and try again.", { status: 400 });
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw data("We couldn't read that form. Go back and try again.", { status: 400 });
  }
  // No person types U+0000, and PostgreSQL cannot store it in text: refuse it here, on both
  // engines alike, rather than fail in the database.
  for (const value of form.values()) {
    if (typeof value === "string" && value.includes("\u0000")) {
      throw data("That form contains a character we can't accept. Go back and try again.", { status: 400 });
    }
  }
  return form;
}

/** A honeypot field that people never see; bots that fill it get the normal answer and nothing happens. */
export function isBot(form: FormData): boolean {
  const value = form.get("website");
  return typeof value === "string" && value.length > 0;
}
