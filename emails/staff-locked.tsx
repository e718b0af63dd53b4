import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";

export type StaffLockedProps = {
  appName: string;
  staffName: string;
  staffEmail: string;
  when: string;
  ip: string;
  failures: number;
  staffPageUrl: string;
  supportEmail: string;
};

/** Fixed words and the staff member's own e-mail (validated at `staff add`) only. */
export function subject(p: StaffLockedProps) {
  return `${p.appName} support console: staff account ${p.staffEmail} locked after ${p.failures} wrong authenticator codes`;
}

/**
 * To the locked staff member and to SUPPORT_EMAIL (H2): when, from which network address, how many
 * wrong codes, and how to get unlocked. Never a code or a password.
 */
export default function StaffLocked(p: StaffLockedProps) {
  return (
    <EmailLayout appName={p.appName} preview="A staff account was locked" heading="Staff account locked" footer={`Sent to the staff member and to ${p.supportEmail} by the recovery portal.`}>
      <Text style={paragraph}>
        The support-console account of {p.staffName} ({p.staffEmail}) was locked on {p.when} after {p.failures} wrong authenticator codes in a
        row. The last one came from network address {p.ip}.
      </Text>
      <Text style={paragraph}>
        Whoever typed them knew the account's password. While the account is locked, no password and no code is accepted for it, and its
        sessions no longer work.
      </Text>
      <Text style={paragraph}>
        If this was not you, the password must be treated as known to someone else: tell your security team before asking for the unlock.
      </Text>
      <Text style={paragraph}>
        To get unlocked, ask another staff member to check with you in person or by phone and press Unlock on {p.staffPageUrl}, or ask an
        operator to run: npm run portal -- staff unlock --email {p.staffEmail}
      </Text>
    </EmailLayout>
  );
}
