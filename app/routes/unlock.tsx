import type { MetaFunction } from "@remix-run/node";
import { ComingSoon } from "~/ui/coming-soon";

export const meta: MetaFunction = () => [{ title: "Unlock your account | Account recovery" }];

export default function Page() {
  return <ComingSoon title="Unlock your account" />;
}
