import { data } from "@remix-run/node";

/**
 * Reads a submitted form. Anything that is not a normal form body, or cannot be parsed, is a
 * 400 with a friendly page in the page's language (the root error page translates the key), never a 500 (REQ-06).
 */
export async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    throw data("common:form.notOurs", { status: 400 });
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw data("common:form.unreadable", { status: 400 });
  }
  // No person types U+0000, and PostgreSQL cannot store it in text: refuse it here, on both
  // engines alike, rather than fail in the database.
  for (const value of form.values()) {
    if (typeof value === "string" && value.includes("\u0000")) {
      throw data("common:form.badCharacter", { status: 400 });
    }
  }
  return form;
}

/** A honeypot field that people never see; bots that fill it get the normal answer and nothing happens. */
export function isBot(form: FormData): boolean {
  const value = form.get("website");
  return typeof value === "string" && value.length > 0;
}
