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
  try {
    return await request.formData();
  } catch {
    throw data("We couldn't read that form. Go back and try again.", { status: 400 });
  }
}

/** A honeypot field that people never see; bots that fill it get the normal answer and nothing happens. */
export function isBot(form: FormData): boolean {
  const value = form.get("website");
  return typeof value === "string" && value.length > 0;
}
