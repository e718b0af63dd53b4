import type { ActionFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { setPreferredLocale } from "~/accounts/accounts.server";
import { readForm } from "~/http/forms.server";
import { isLocale } from "~/i18n/config";
import { languageCookie } from "~/i18n/locale.server";
import { getUserSession } from "~/sign-in/auth.server";

/** A GET here (someone typed the address) has nothing to show: back to the start. */
export const loader = () => redirect("/");

/**
 * The language switcher's target (issue 16): remembers the choice in a cookie, and on the account
 * when a customer is signed in (their messages then go out in it), then sends the browser back to
 * the page it came from. Only a path on this site is followed back (no open redirect).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const lng = form.get("lng");
  if (!isLocale(lng)) throw data("common:language.unknown", { status: 400 });
  const returnTo = String(form.get("returnTo") ?? "/");
  const back = /^\/(?![/\\])[^\s]*$/.test(returnTo) && returnTo.length <= 2048 ? returnTo : "/";
  const found = await getUserSession(request, context);
  if (found) await setPreferredLocale(context.services.db, found.user.id, lng);
  return redirect(back, { status: 303, headers: { "Set-Cookie": languageCookie(lng, context.services.config.secureCookies) } });
}

/** Never shown (the loader redirects); present so a refused choice renders the site's error page. */
export default function Language() {
  return null;
}
