import type { MetaFunction } from "@remix-run/node";
import { linkPage } from "~/ui/recovery";
export { unlockLinkLoader as loader, unlockLinkAction as action } from "~/recovery/route-handlers.server";

export const meta: MetaFunction = () => [{ title: "Unlock your account | Account recovery" }];
export default linkPage("unlock");
