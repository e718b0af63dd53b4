import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { codeAction, codeLoader } from "~/recovery/route-handlers.server";
import { CodeForm } from "~/ui/recovery";
import { keepRetryAfter } from "~/http/responses.server";

export const headers = keepRetryAfter;

// The title says the same as the heading: a phone request is told to check its phone.
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.via === "phone" ? "Check your phone" : "Check your email"} | Account recovery` },
];

export const loader = (args: LoaderFunctionArgs) => codeLoader("reset", args);
export const action = (args: ActionFunctionArgs) => codeAction("reset", args);

export default function CheckYourEmail() {
  const { linkMinutes, codeMinutes, via } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <CodeForm
      heading={via === "phone" ? "Check your phone" : "Check your email"}
      via={via}
      linkMinutes={linkMinutes}
      codeMinutes={codeMinutes}
      message={actionData?.message}
      codeErrors={actionData?.codeErrors}
      startPath="/forgot-password"
    />
  );
}
