import { linkPage, titleMeta } from "~/ui/recovery";
export { resetLinkLoader as loader, resetLinkAction as action } from "~/recovery/route-handlers.server";

export const meta = titleMeta("recovery:flow.reset.landingHeading");
export default linkPage("reset");
