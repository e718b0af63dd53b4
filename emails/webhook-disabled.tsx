import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";

export type WebhookDisabledProps = {
  appName: string;
  endpointId: string;
  /** The endpoint's URL without query string (it may carry a receiver's token). */
  url: string;
  failingSince: string;
  lastResult: string;
  consoleUrl: string;
};

/** Fixed words and the endpoint id only in the subject (EML-01). */
export function subject(p: WebhookDisabledProps) {
  return `${p.appName}: webhook endpoint ${p.endpointId} disabled after failing for 24 hours`;
}

/** To the active admins (or SUPPORT_EMAIL when there are none), once per disabling. */
export default function WebhookDisabled(p: WebhookDisabledProps) {
  return (
    <EmailLayout appName={p.appName} preview="A webhook endpoint was disabled" heading="Webhook endpoint disabled" footer="Sent to the portal's admins by the recovery portal.">
      <Text style={paragraph}>
        The webhook endpoint {p.endpointId} ({p.url}) has failed every delivery since {p.failingSince} and was disabled. Its last result: {p.lastResult}.
        Events for it are no longer queued, and messages still waiting for it are dropped.
      </Text>
      <Text style={paragraph}>
        When the receiver works again, add it again with: npm run portal -- webhook add --url … --events … (and remove the old one with
        webhook remove {p.endpointId}). The endpoints and their status are listed at {p.consoleUrl}.
      </Text>
    </EmailLayout>
  );
}
