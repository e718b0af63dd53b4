import type { ActionFunctionArgs } from "@remix-run/node";
import { handleApi, methodNotAllowed } from "~/api/request.server";
import { setStatus } from "~/api/accounts.server";

/** Provisioning API: POST enables the account (docs/decisions/0021-provisioning-api.md). */
export function loader() {
  return methodNotAllowed("POST");
}

export function action({ request, context, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed("POST");
  return handleApi(context, request, "accounts:write", (api) => setStatus(api, params.id, "active"));
}
