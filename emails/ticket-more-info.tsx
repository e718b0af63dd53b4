import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, paragraph } from "./layout";

export type TicketNoteProps = { appName: string; reference: string; note: string; supportEmail: string };

export function subject(p: TicketNoteProps & WithLocale) {
  return tOf(p)("emails:ticketMoreInfo.subject", { reference: p.reference });
}

/** The staff member's question is sent as they wrote it; the frame is in the ticket's language. */
export default function TicketMoreInfo(p: TicketNoteProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:ticket.preview", { reference: p.reference })} heading={t("emails:ticketMoreInfo.heading")}>
      <Text style={paragraph}>{tl("emails:ticketMoreInfo.asks", p, ["reference"])}</Text>
      <Text style={{ ...paragraph, whiteSpace: "pre-wrap" }}>{p.note}</Text>
      <Text style={paragraph}>{tl("emails:ticketMoreInfo.writeTo", p, ["supportEmail", "reference"])}</Text>
    </EmailLayout>
  );
}
