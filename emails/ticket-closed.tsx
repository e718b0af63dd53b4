import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

/** Sent to a ticket's contact when support closes it (issue 15): what happened, and "How easy was this?". */
export type TicketClosedProps = { appName: string; reference: string; feedbackUrl: string; feedbackDays: number; supportEmail: string };

export function subject(p: TicketClosedProps & WithLocale) {
  return tOf(p)("emails:ticketClosed.subject", { reference: p.reference });
}

export default function TicketClosed(p: TicketClosedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:ticketClosed.preview", { reference: p.reference })} heading={t("emails:ticketClosed.heading")}>
      <Text style={paragraph}>{tl("emails:ticketClosed.body", p, ["reference"])}</Text>
      <Text style={paragraph}>{t("emails:ticketClosed.howEasy")}</Text>
      <Button href={p.feedbackUrl} style={buttonStyle}>
        {t("emails:ticketClosed.button")}
      </Button>
      <Text style={paragraph}>{tl("emails:ticketClosed.copy", p, ["feedbackUrl"])}</Text>
      <Text style={paragraph}>{tl("emails:ticketClosed.stillNeed", p, ["supportEmail", "reference"])}</Text>
    </EmailLayout>
  );
}
