import { Button } from "@react-email/button";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type ApprovalRequestedProps = {
  appName: string;
  reference: string;
  action: string;
  requester: string;
  ticketUrl: string;
  queueUrl: string;
};

/** Built from fixed words and the reference only (EML-01). */
export function subject(p: ApprovalRequestedProps) {
  return `[${p.reference}] Approval needed: ${p.action}`;
}

/**
 * To SUPPORT_EMAIL (issue 14, four eyes): an agent asked for a risky action that a supervisor or
 * admin other than them must approve. No customer data and no note: those are in the console.
 */
export default function ApprovalRequested(p: ApprovalRequestedProps) {
  return (
    <EmailLayout appName={p.appName} preview={`${p.reference}: approval needed`} heading={`Approval needed on ${p.reference}`} footer="Sent to the support team by the recovery portal.">
      <Text style={paragraph}>
        {p.requester} asked to {p.action.toLowerCase()} on ticket {p.reference}. A supervisor or an admin other than {p.requester} must approve or decline it
        in the console.
      </Text>
      <Section>
        <Button href={p.ticketUrl} style={buttonStyle}>
          Open the ticket
        </Button>
      </Section>
      <Text style={paragraph}>Everything waiting: {p.queueUrl}</Text>
    </EmailLayout>
  );
}
