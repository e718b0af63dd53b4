import type { MetaFunction } from "@remix-run/node";
import { contactPage } from "~/ui/contact-change";
export { emailLoader as loader, emailAction as action } from "~/settings/contact-route.server";

export const meta: MetaFunction = () => [{ title: "Your email address | Account recovery" }];
export default contactPage("email");
