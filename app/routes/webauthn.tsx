import type { ActionFunctionArgs } from "@remix-run/node";
import { webauthnAction } from "~/web/webauthn-route.server";

/** JSON endpoint for the passkey buttons (needs JavaScript, like WebAuthn itself). */
export const action = ({ request, context }: ActionFunctionArgs) => webauthnAction(request, context);
export const loader = () => new Response("Not found", { status: 404 });
