import { Text } from "@react-email/text";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type FactorChangedProps = {
  appName: string;
  username: string;
  change: string;
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
};

export function subject(p: FactorChangedProps) {
  return `Your ${p.appName} security settings changed`;
}

/** The SMS form of this message. */
export function sms(p: FactorChangedProps) {
  return `${p.appName}: ${p.change} on ${p.username}. Not you? ${p.reportUrl}`;
}

/** Passkeys, authenticator app and recovery codes: every change is announced (NTF-02). */
export default function FactorChanged(p: FactorChangedProps) {
  return (
    <EmailLayout appName={p.appName} preview={p.change} heading="Your security settings changed">
      <Text style={paragraph}>
        {p.change} on the account {p.username}, on {p.when} from {p.browser} (network address {p.ip}).
      </Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
