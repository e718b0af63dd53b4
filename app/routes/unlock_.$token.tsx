import { linkPage, titleMeta } from "~/ui/recovery";
export { unlockLinkLoader as loader, unlockLinkAction as action } from "~/recovery/route-handlers.server";

export const meta = titleMeta("recovery:flow.unlock.landingHeading");
export default linkPage("unlock");
