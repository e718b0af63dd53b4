import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, ReportBlock, paragraph } from "./layout";
import type { ChangedProps } from "./password-changed";

export type AccountUnlockedProps = ChangedProps;

export function subject(p: AccountUnlockedProps & WithLocale) {
  return tOf(p)("emails:accountUnlocked.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: AccountUnlockedProps & WithLocale) {
  return tOf(p)("sms:accountUnlocked", { appName: p.appName, username: p.username, reportUrl: p.reportUrl });
}

/** After a self-service unlock (NTF-02). */
export default function AccountUnlocked(p: AccountUnlockedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:accountUnlocked.heading")} heading={t("emails:accountUnlocked.heading")}>
      <Text style={paragraph}>
        {p.ip ? tl("emails:accountUnlocked.bodyFrom", p, ["username", "ip"]) : tl("emails:accountUnlocked.body", p, ["username"])}
      </Text>
      <Text style={paragraph}>{tl("emails:accountUnlocked.signIn", p, ["loginUrl"])}</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
