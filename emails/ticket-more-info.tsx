import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";

export type TicketNoteProps = { appName: string; reference: string; note: string; supportEmail: string };

export function subject(p: TicketNoteProps) {
  return `We need a little more information (${p.reference})`;
}

export default function TicketMoreInfo(p: TicketNoteProps) {
  return (
    <EmailLayout appName={p.appName} preview={`About your request ${p.reference}`} heading="We need a little more information">
      <Text style={paragraph}>About your request {p.reference}, our support team asks:</Text>
      <Text style={{ ...paragraph, whiteSpace: "pre-wrap" }}>{p.note}</Text>
      <Text style={paragraph}>Please write to {p.supportEmail} and mention {p.reference}. Never send your password.</Text>
    </EmailLayout>
  );
}
