import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

/** Sent to a ticket's contact when support closes it (issue 15): what happened, and "How easy was this?". */
export type TicketClosedProps = { appName: string; reference: string; feedbackUrl: string; feedbackDays: number; supportEmail: string };

export function subject(p: TicketClosedProps) {
  return `Your request ${p.reference} is closed`;
}

export default function TicketClosed(p: TicketClosedProps) {
  return (
    <EmailLayout appName={p.appName} preview={`Your request ${p.reference} is closed. How easy was this?`} heading="Your request is closed">
      <Text style={paragraph}>Our support team has closed your request {p.reference}.</Text>
      <Text style={paragraph}>How easy was this? One question, from 1 to 5, and a comment if you like. No sign-in needed.</Text>
      <Button href={p.feedbackUrl} style={buttonStyle}>
        Tell us how it went
      </Button>
      <Text style={paragraph}>
        Or copy this link: {p.feedbackUrl} (it works once, for {p.feedbackDays} days).
      </Text>
      <Text style={paragraph}>Still need help? Write to {p.supportEmail} and mention {p.reference}. We never ask for your password or codes.</Text>
    </EmailLayout>
  );
}
