import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { linkAction, linkLoader } from "~/recovery/route-handlers.server";
import { DeadEnd, LinkLanding } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Unlock your account | Account recovery" }];

export const loader = (args: LoaderFunctionArgs) => linkLoader("unlock", args);
export const action = (args: ActionFunctionArgs) => linkAction("unlock", args);

export default function UnlockLanding() {
  const acted = useActionData<typeof action>();
  const loaded = useLoaderData<typeof loader>();
  const status = acted?.status ?? loaded.status;
  if (status !== "valid") return <DeadEnd status={status} startPath="/unlock" startLabel="Get a new link" />;
  return <LinkLanding heading="Unlock your account" text="Press Continue to unlock your account on this device." />;
}
