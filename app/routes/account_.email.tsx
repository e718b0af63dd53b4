import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { contactAction, contactLoader } from "~/settings/contact-route.server";
import { ContactChange } from "~/ui/contact-change";

export const meta: MetaFunction = () => [{ title: "Your email address | Account recovery" }];

export const loader = (args: LoaderFunctionArgs) => contactLoader("email", args);
export const action = (args: ActionFunctionArgs) => contactAction("email", args);

export default function ChangeEmail() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  return <ContactChange kind="email" current={l.current} pending={l.pending} error={a?.error} codeError={a?.codeError} />;
}
