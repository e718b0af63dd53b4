import { requestPage, titleMeta } from "~/ui/recovery";
export { resetRequestAction as action } from "~/recovery/route-handlers.server";

export const meta = titleMeta("recovery:flow.reset.heading");
export default requestPage("reset");
