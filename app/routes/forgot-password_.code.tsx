import { codePage } from "~/ui/recovery";
export { keepRetryAfter as headers } from "~/http/responses.server";
export { resetCodeLoader as loader, resetCodeAction as action } from "~/recovery/route-handlers.server";
export { codeMeta as meta } from "~/ui/recovery";

export default codePage("reset");
