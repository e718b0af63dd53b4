import { requestPage, titleMeta } from "~/ui/recovery";
export { unlockRequestAction as action } from "~/recovery/route-handlers.server";

export const meta = titleMeta("recovery:flow.unlock.heading");
export default requestPage("unlock");
