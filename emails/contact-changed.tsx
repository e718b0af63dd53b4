import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type ContactChangedProps = {
  appName: string;
  username: string;
  kind: "email" | "phone";
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
};

export function subject(p: ContactChangedProps & WithLocale) {
  const t = tOf(p);
  return p.kind === "email" ? t("emails:contactChanged.subjectEmail", { appName: p.appName }) : t("emails:contactChanged.subjectPhone", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: ContactChangedProps & WithLocale) {
  const t = tOf(p);
  const values = { appName: p.appName, username: p.username, reportUrl: p.reportUrl };
  return p.kind === "email" ? t("sms:contactChangedEmail", values) : t("sms:contactChangedPhone", values);
}

/** Sent to the old and the new contacts after a change (NTF-02, NTF-03). */
export default function ContactChanged(p: ContactChangedProps) {
  const { t, tl } = useMessageT();
  const email = p.kind === "email";
  const heading = email ? t("emails:contactChanged.headingEmail") : t("emails:contactChanged.headingPhone");
  const body = email
    ? p.ip
      ? tl("emails:contactChanged.bodyEmailFrom", p, ["username", "ip"])
      : tl("emails:contactChanged.bodyEmail", p, ["username"])
    : p.ip
      ? tl("emails:contactChanged.bodyPhoneFrom", p, ["username", "ip"])
      : tl("emails:contactChanged.bodyPhone", p, ["username"]);
  return (
    <EmailLayout appName={p.appName} preview={heading} heading={heading}>
      <Text style={paragraph}>{body}</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
