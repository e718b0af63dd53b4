import type { MetaFunction } from "@remix-run/node";
import { ComingSoon } from "~/ui/coming-soon";

export const meta: MetaFunction = () => [{ title: "Forgot your password? | Account recovery" }];

export default function Page() {
  return <ComingSoon title="Forgot your password?" />;
}
