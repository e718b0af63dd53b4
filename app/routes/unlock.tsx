import type { MetaFunction } from "@remix-run/node";
import { requestPage } from "~/ui/recovery";
export { unlockRequestAction as action } from "~/recovery/route-handlers.server";

export const meta: MetaFunction = () => [{ title: "Account locked? | Account recovery" }];
export default requestPage("unlock");
