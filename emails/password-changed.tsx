import { Text } from "@react-email/text";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type ChangedProps = {
  appName: string;
  username: string;
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
  loginUrl: string;
  /** Changed while signed in (/account/password): that browser stays signed in. */
  signedInHere?: boolean;
};

export function subject(p: ChangedProps) {
  return `Your ${p.appName} password was changed`;
}

/** The SMS form of this message. */
export function sms(p: ChangedProps) {
  return `${p.appName}: the password of ${p.username} was changed. Not you? ${p.reportUrl}`;
}

/** After a reset: what happened, when, from where, and how to report it (NTF-01). Never the password. */
export default function PasswordChanged(p: ChangedProps) {
  return (
    <EmailLayout appName={p.appName} preview="Your password was changed" heading="Your password was changed">
      <Text style={paragraph}>
        The password of the account {p.username} was changed on {p.when} from {p.browser} (network address {p.ip}).
      </Text>
      {p.signedInHere ? (
        <Text style={paragraph}>It was changed while signed in: we signed the account out everywhere else. If this was you, there is nothing to do.</Text>
      ) : (
        <Text style={paragraph}>We signed the account out everywhere. If this was you, sign in with your new password: {p.loginUrl}</Text>
      )}
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
