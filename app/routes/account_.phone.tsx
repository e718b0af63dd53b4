import type { MetaFunction } from "@remix-run/node";
import { contactPage } from "~/ui/contact-change";
import { metaT } from "~/i18n/meta";
export { phoneLoader as loader, phoneAction as action } from "~/settings/contact-route.server";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.phone") }];
export default contactPage("phone");
