import { Text } from "@react-email/text";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type NewDeviceProps = {
  appName: string;
  username: string;
  when: string;
  browser: string;
  /** The approximate network ("203.0.113.x"), never the full address. */
  network: string;
  reportUrl: string;
  supportEmail: string;
  settingsUrl: string;
};

export function subject(p: NewDeviceProps) {
  return `New sign-in to your ${p.appName} account`;
}

/** A sign-in from a browser never seen on this account (issue 15): when, what, where, and "This wasn't me". */
export default function NewDeviceSignIn(p: NewDeviceProps) {
  return (
    <EmailLayout appName={p.appName} preview="A new device signed in to your account" heading="New sign-in to your account">
      <Text style={paragraph}>
        The account {p.username} was signed in to on {p.when} from a browser we had not seen on it before: {p.browser}, network {p.network}.
      </Text>
      <Text style={paragraph}>If this was you, there is nothing to do.</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
      <Text style={paragraph}>
        You can turn these notices off on your account's security page: {p.settingsUrl}. Notices about password, contact and sign-in
        protection changes, and about locks, are always sent.
      </Text>
    </EmailLayout>
  );
}
