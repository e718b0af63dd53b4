import type { MetaFunction } from "@remix-run/node";
import { contactPage } from "~/ui/contact-change";
import { metaT } from "~/i18n/meta";
export { emailLoader as loader, emailAction as action } from "~/settings/contact-route.server";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.email") }];
export default contactPage("email");
