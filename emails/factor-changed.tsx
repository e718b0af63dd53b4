import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type FactorChangedProps = {
  appName: string;
  username: string;
  /** What changed, a sentence from app/factors (English: not yet a reason code). */
  change: string;
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
};

export function subject(p: FactorChangedProps & WithLocale) {
  return tOf(p)("emails:factorChanged.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: FactorChangedProps & WithLocale) {
  return tOf(p)("sms:factorChanged", { appName: p.appName, change: p.change, username: p.username, reportUrl: p.reportUrl });
}

/** Passkeys, authenticator app and recovery codes: every change is announced (NTF-02). */
export default function FactorChanged(p: FactorChangedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={p.change} heading={t("emails:factorChanged.heading")}>
      <Text style={paragraph}>{tl("emails:factorChanged.body", p, ["username", "ip"])}</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
