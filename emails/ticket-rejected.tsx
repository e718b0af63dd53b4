import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, paragraph } from "./layout";
import type { TicketNoteProps } from "./ticket-more-info";

export type TicketRejectedProps = TicketNoteProps;

export function subject(p: TicketRejectedProps & WithLocale) {
  return tOf(p)("emails:ticket.preview", { reference: p.reference });
}

export default function TicketRejected(p: TicketRejectedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:ticket.preview", { reference: p.reference })} heading={t("emails:ticketRejected.heading")}>
      <Text style={paragraph}>{tl("emails:ticketRejected.body", p, ["reference"])}</Text>
      <Text style={{ ...paragraph, whiteSpace: "pre-wrap" }}>{p.note}</Text>
      <Text style={paragraph}>{tl("emails:ticketRejected.writeTo", p, ["supportEmail", "reference"])}</Text>
    </EmailLayout>
  );
}
