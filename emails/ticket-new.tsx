import { Button } from "@react-email/button";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type TicketNewProps = {
  appName: string;
  reference: string;
  category: string;
  priority: "high" | "normal";
  slaDue: string;
  source: "form" | "report";
  fullName: string;
  accountHint: string;
  contactEmail: string;
  contactPhone: string;
  details: string;
  lastSignInClaim: string;
  openedClaim: string;
  contactConfirmed: boolean;
  matchedUsername: string | null;
  lockState: string;
  recentAttempts: number;
  consoleUrl: string;
};

/** Built from fixed words only: customer text never reaches a header (EML-01). */
export function subject(p: TicketNewProps) {
  return `[${p.reference}] ${p.priority === "high" ? "HIGH priority" : "New"} assisted-recovery request: ${p.category}`;
}

const row = { ...paragraph, margin: "0 0 6px" };

/**
 * To SUPPORT_EMAIL. Every customer-supplied value is rendered as text, which React escapes, and
 * links the customer typed stay text (EML-02).
 */
export default function TicketNew(p: TicketNewProps) {
  return (
    <EmailLayout appName={p.appName} preview={`${p.reference}: ${p.category}`} heading={`Assisted recovery ${p.reference}`} footer="Sent to the support team by the recovery portal.">
      <Text style={row}>Priority: {p.priority === "high" ? "HIGH" : "normal"} · respond by {p.slaDue}</Text>
      <Text style={row}>What happened: {p.category}</Text>
      <Text style={row}>Source: {p.source === "report" ? "\"This wasn't me\" link in a security notification" : "assisted-recovery form"}</Text>
      <Section>
        <Text style={{ ...paragraph, fontWeight: 700 }}>The customer says</Text>
        <Text style={row}>Full name: {p.fullName}</Text>
        <Text style={row}>Account (as typed): {p.accountHint || "—"}</Text>
        <Text style={row}>
          Contact email: {p.contactEmail} ({p.contactConfirmed ? "confirmed" : "not confirmed yet"})
        </Text>
        <Text style={row}>Phone: {p.contactPhone || "—"}</Text>
        <Text style={row}>Last sign-in, roughly: {p.lastSignInClaim || "—"}</Text>
        <Text style={row}>Account opened, roughly: {p.openedClaim || "—"}</Text>
        <Text style={row}>Details: {p.details || "—"}</Text>
      </Section>
      <Section>
        <Text style={{ ...paragraph, fontWeight: 700 }}>What the portal knows</Text>
        <Text style={row}>Matched account: {p.matchedUsername ?? "none"}</Text>
        <Text style={row}>Lock state: {p.matchedUsername ? p.lockState : "—"}</Text>
        <Text style={row}>Recovery attempts in the last 7 days: {p.matchedUsername ? p.recentAttempts : "—"}</Text>
      </Section>
      <Button href={p.consoleUrl} style={buttonStyle}>
        Open in the support console
      </Button>
      <Text style={paragraph}>{p.consoleUrl}</Text>
    </EmailLayout>
  );
}
