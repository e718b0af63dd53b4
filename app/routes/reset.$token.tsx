import type { MetaFunction } from "@remix-run/node";
import { linkPage } from "~/ui/recovery";
export { resetLinkLoader as loader, resetLinkAction as action } from "~/recovery/route-handlers.server";

export const meta: MetaFunction = () => [{ title: "Reset your password | Account recovery" }];
export default linkPage("reset");
