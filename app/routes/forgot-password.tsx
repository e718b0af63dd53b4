import type { MetaFunction } from "@remix-run/node";
import { requestPage } from "~/ui/recovery";
export { resetRequestAction as action } from "~/recovery/route-handlers.server";

export const meta: MetaFunction = () => [{ title: "Forgot your password? | Account recovery" }];
export default requestPage("reset");
