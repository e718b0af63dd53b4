import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleApi, methodNotAllowed } from "~/api/request.server";
import { deleteAccount, getAccount, updateAccount } from "~/api/accounts.server";

/** Provisioning API: GET reads, PATCH updates contacts, DELETE erases (docs/decisions/0021-provisioning-api.md). */
export function loader({ request, context, params }: LoaderFunctionArgs) {
  return handleApi(context, request, "accounts:read", (api) => getAccount(api, params.id));
}

export function action({ request, context, params }: ActionFunctionArgs) {
  if (request.method === "PATCH") return handleApi(context, request, "accounts:write", (api) => updateAccount(api, params.id, request));
  if (request.method === "DELETE") return handleApi(context, request, "accounts:write", (api) => deleteAccount(api, params.id));
  return methodNotAllowed("GET, PATCH, DELETE");
}
