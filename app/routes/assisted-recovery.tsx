import type { MetaFunction } from "@remix-run/node";
import { ComingSoon } from "~/ui/coming-soon";

export const meta: MetaFunction = () => [{ title: "Get help from our support team | Account recovery" }];

export default function Page() {
  return <ComingSoon title="Get help from our support team" />;
}
