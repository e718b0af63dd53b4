import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type CustomerReplyProps = { appName: string; reference: string; consoleUrl: string };

export function subject(p: CustomerReplyProps) {
  return `The customer replied on ${p.reference}`;
}

/**
 * To the ticket's assigned agent (or SUPPORT_EMAIL): the customer wrote on their status page.
 * Only the reference and the console link: what the customer wrote stays in the console.
 */
export default function TicketCustomerReply(p: CustomerReplyProps) {
  return (
    <EmailLayout appName={p.appName} preview={`New reply on ${p.reference}`} heading="The customer replied">
      <Text style={paragraph}>The customer added information to ticket {p.reference} from their status page.</Text>
      <Button href={p.consoleUrl} style={buttonStyle}>
        Open the ticket
      </Button>
      <Text style={paragraph}>Or copy this link: {p.consoleUrl}</Text>
    </EmailLayout>
  );
}
