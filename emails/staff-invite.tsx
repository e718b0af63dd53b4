import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";

export type StaffInviteProps = {
  appName: string;
  staffName: string;
  role: string;
  invitedBy: string;
  link: string;
  expiresHours: number;
};

/** Fixed words only. */
export function subject(p: StaffInviteProps) {
  return `${p.appName} support console: set up your staff account`;
}

/**
 * To a new staff member invited by an admin (issue 14): a one-time link to choose a password; the
 * authenticator app is set up at the first sign-in. Never a password or a code.
 */
export default function StaffInvite(p: StaffInviteProps) {
  return (
    <EmailLayout appName={p.appName} preview="Set up your support-console account" heading="Set up your staff account" footer="Sent by the recovery portal because an admin invited you.">
      <Text style={paragraph}>
        {p.invitedBy} invited {p.staffName} to the {p.appName} support console as {p.role === "supervisor" ? "a" : "an"} {p.role}.
      </Text>
      <Text style={paragraph}>
        Open this link to choose your password. It works once, for {p.expiresHours} hours: {p.link}
      </Text>
      <Text style={paragraph}>
        Then sign in at the support console and set up an authenticator app: staff always sign in with both. If you did not expect this,
        ignore this e-mail and tell your security team.
      </Text>
    </EmailLayout>
  );
}
