import { codePage } from "~/ui/recovery";
export { keepRetryAfter as headers } from "~/http/responses.server";
export { unlockCodeLoader as loader, unlockCodeAction as action } from "~/recovery/route-handlers.server";
export { codeMeta as meta } from "~/ui/recovery";

export default codePage("unlock");
