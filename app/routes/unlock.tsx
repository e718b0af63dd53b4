import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { requestAction } from "~/recovery/route-handlers.server";
import { RequestForm } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Account locked? | Account recovery" }];

export const action = (args: ActionFunctionArgs) => requestAction("unlock", args);

export default function Unlock() {
  const actionData = useActionData<typeof action>();
  return (
    <RequestForm
      heading="Account locked?"
      intro="After too many wrong passwords an account locks for a while. Prove it's yours and unlock it now: we'll send a link and a code to its email address."
      defaultValue={actionData?.value}
      errors={actionData?.errors}
      submitLabel="Send link and code"
    />
  );
}
