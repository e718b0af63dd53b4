import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { linkAction, linkLoader } from "~/recovery/route-handlers.server";
import { DeadEnd, LinkLanding } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Reset your password | Account recovery" }];

export const loader = (args: LoaderFunctionArgs) => linkLoader("reset", args);
export const action = (args: ActionFunctionArgs) => linkAction("reset", args);

export default function ResetLanding() {
  const acted = useActionData<typeof action>();
  const loaded = useLoaderData<typeof loader>();
  const status = acted?.status ?? loaded.status;
  if (status !== "valid") return <DeadEnd status={status} startPath="/forgot-password" startLabel="Get a new link" />;
  return <LinkLanding heading="Reset your password" text="Press Continue to choose a new password on this device." />;
}
