import type { MetaFunction } from "@remix-run/node";
import { ComingSoon } from "~/ui/coming-soon";

export const meta: MetaFunction = () => [{ title: "Support console | Account recovery" }];

export default function Page() {
  return <ComingSoon title="Support console" />;
}
