import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

/** `statusUrl`: the customer's status page (optional: messages queued before it existed have none). */
export type AckProps = { appName: string; reference: string; slaHours: number; confirmUrl: string; statusUrl?: string };

export function subject(p: AckProps) {
  return `We received your request ${p.reference}`;
}

/** To the contact address the customer gave: the reference, what happens next, and a confirm link. */
export default function TicketAcknowledgement(p: AckProps) {
  return (
    <EmailLayout appName={p.appName} preview={`Reference ${p.reference}`} heading="We received your request">
      <Text style={paragraph}>Your reference is {p.reference}. Keep it: our team will mention it when they contact you.</Text>
      <Text style={paragraph}>Please confirm that this is your email address, so we know where to reach you:</Text>
      <Button href={p.confirmUrl} style={buttonStyle}>
        Confirm my email address
      </Button>
      <Text style={paragraph}>Or copy this link: {p.confirmUrl}</Text>
      {p.statusUrl ? (
        <Text style={paragraph}>
          To see where your request stands, answer our questions or add information, use this link: {p.statusUrl}
        </Text>
      ) : null}
      <Text style={paragraph}>
        A member of our support team will look at your request within {p.slaHours} hours. They may ask you questions to
        check that the account is yours. They will never ask for your password.
      </Text>
      <Text style={paragraph}>Didn't ask for help? You can ignore this email.</Text>
    </EmailLayout>
  );
}
