import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { requestAction } from "~/recovery/route-handlers.server";
import { RequestForm } from "~/ui/recovery";
import { PasskeyButton } from "~/ui/passkey-button";

export const meta: MetaFunction = () => [{ title: "Forgot your password? | Account recovery" }];

export const action = (args: ActionFunctionArgs) => requestAction("reset", args);

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>();
  return (
    <>
    <RequestForm
      heading="Forgot your password?"
      intro="Tell us which account. If it exists, we'll send a link and a code to its email address."
      defaultValue={actionData?.value}
      errors={actionData?.errors}
      submitLabel="Send link and code"
    />
    <PasskeyButton use="reset" label="Use a passkey instead" />
    </>
  );
}
