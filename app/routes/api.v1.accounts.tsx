import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleApi, methodNotAllowed } from "~/api/request.server";
import { createAccount, findAccount } from "~/api/accounts.server";

/** Provisioning API (docs/decisions/0021-provisioning-api.md): GET ?username= finds, POST creates. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return handleApi(context, request, "accounts:read", (api) => findAccount(api, request));
}

export function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed("GET, POST");
  return handleApi(context, request, "accounts:write", (api) => createAccount(api, request));
}
