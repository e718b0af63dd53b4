import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";
import type { TicketNoteProps } from "./ticket-more-info";

export type TicketRejectedProps = TicketNoteProps;

export function subject(p: TicketRejectedProps) {
  return `About your request ${p.reference}`;
}

export default function TicketRejected(p: TicketRejectedProps) {
  return (
    <EmailLayout appName={p.appName} preview={`About your request ${p.reference}`} heading="We couldn't confirm it's your account">
      <Text style={paragraph}>We looked at your request {p.reference} and couldn't go ahead:</Text>
      <Text style={{ ...paragraph, whiteSpace: "pre-wrap" }}>{p.note}</Text>
      <Text style={paragraph}>If you think this is wrong, write to {p.supportEmail} and mention {p.reference}.</Text>
    </EmailLayout>
  );
}
