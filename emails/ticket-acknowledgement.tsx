import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

/** `statusUrl`: the customer's status page (optional: messages queued before it existed have none). */
export type AckProps = { appName: string; reference: string; slaHours: number; confirmUrl: string; statusUrl?: string };

export function subject(p: AckProps & WithLocale) {
  return tOf(p)("emails:ticketAck.subject", { reference: p.reference });
}

/** To the contact address the customer gave: the reference, what happens next, and a confirm link. */
export default function TicketAcknowledgement(p: AckProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:ticketAck.preview", { reference: p.reference })} heading={t("emails:ticketAck.heading")}>
      <Text style={paragraph}>{tl("emails:ticketAck.reference", p, ["reference"])}</Text>
      <Text style={paragraph}>{t("emails:ticketAck.confirmAsk")}</Text>
      <Button href={p.confirmUrl} style={buttonStyle}>
        {t("emails:ticketAck.confirmButton")}
      </Button>
      <Text style={paragraph}>{tl("emails:ticketAck.copy", p, ["confirmUrl"])}</Text>
      {p.statusUrl ? <Text style={paragraph}>{tl("emails:ticketAck.status", p, ["statusUrl"])}</Text> : null}
      <Text style={paragraph}>{t("emails:ticketAck.sla", { slaHours: p.slaHours })}</Text>
      <Text style={paragraph}>{t("emails:ticketAck.ignore")}</Text>
    </EmailLayout>
  );
}
