import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { requestRecovery } from "~/recovery/flows.server";
import { identifierSchema } from "~/recovery/schemas";
import { throttledResponse } from "~/http/responses.server";
import { RequestForm } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Forgot your password? | Account recovery" }];

/**
 * Whatever was typed, and whether or not an account exists, the answer is the same redirect
 * to the code page with a fresh recovery cookie (REQ-01).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: identifierSchema });
  if (submission.status !== "success") {
    return data({ errors: submission.error?.identifier ?? ["Check what you typed"], value: String(form.get("identifier") ?? "").slice(0, 320) }, { status: 400 });
  }
  const outcome = await requestRecovery(context, "reset", submission.value.identifier, { bot: isBot(form) });
  if (!outcome.ok) throw throttledResponse(outcome.retryAfterSeconds);
  throw redirect("/forgot-password/code", { status: 303, headers: { "Set-Cookie": outcome.cookie } });
}

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>();
  return (
    <RequestForm
      heading="Forgot your password?"
      intro="Tell us which account. If it exists, we'll send a link and a code to its email address."
      defaultValue={actionData?.value}
      errors={actionData?.errors}
      submitLabel="Send link and code"
    />
  );
}
