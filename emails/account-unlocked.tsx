import { Text } from "@react-email/text";
import { EmailLayout, ReportBlock, paragraph } from "./layout";
import type { ChangedProps } from "./password-changed";

export type AccountUnlockedProps = ChangedProps;

export function subject(p: AccountUnlockedProps) {
  return `Your ${p.appName} account was unlocked`;
}

/** The SMS form of this message. */
export function sms(p: AccountUnlockedProps) {
  return `${p.appName}: the account ${p.username} was unlocked. Not you? ${p.reportUrl}`;
}

/** After a self-service unlock (NTF-02). */
export default function AccountUnlocked(p: AccountUnlockedProps) {
  return (
    <EmailLayout appName={p.appName} preview="Your account was unlocked" heading="Your account was unlocked">
      <Text style={paragraph}>
        The account {p.username} was unlocked on {p.when} from {p.browser}
        {p.ip ? ` (network address ${p.ip})` : ""}.
      </Text>
      <Text style={paragraph}>If this was you, you can sign in: {p.loginUrl}</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
