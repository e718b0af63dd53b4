import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type TicketEscalatedProps = {
  appName: string;
  reference: string;
  /** Why: "no first response within the N-hour SLA, due …" or "escalated by <staff>: <note>". */
  why: string;
  category: string;
  priority: "high" | "normal";
  consoleUrl: string;
};

/** Built from fixed words and the reference only: staff notes never reach a header (EML-01). */
export function subject(p: TicketEscalatedProps) {
  return `[${p.reference}] Escalated to tier 2: ${p.category}`;
}

const row = { ...paragraph, margin: "0 0 6px" };

/** To ESCALATION_EMAIL, once per ticket. Text values are escaped by React. */
export default function TicketEscalated(p: TicketEscalatedProps) {
  return (
    <EmailLayout appName={p.appName} preview={`${p.reference} escalated`} heading={`Ticket ${p.reference} escalated to tier 2`} footer="Sent to the escalation address by the recovery portal.">
      <Text style={row}>Why: {p.why}</Text>
      <Text style={row}>What happened: {p.category}</Text>
      <Text style={row}>Priority: {p.priority === "high" ? "HIGH" : "normal"}</Text>
      <Button href={p.consoleUrl} style={buttonStyle}>
        Open in the support console
      </Button>
      <Text style={paragraph}>{p.consoleUrl}</Text>
    </EmailLayout>
  );
}
