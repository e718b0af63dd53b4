import type { MetaFunction } from "@remix-run/node";
import { contactPage } from "~/ui/contact-change";
export { phoneLoader as loader, phoneAction as action } from "~/settings/contact-route.server";

export const meta: MetaFunction = () => [{ title: "Your phone number | Account recovery" }];
export default contactPage("phone");
