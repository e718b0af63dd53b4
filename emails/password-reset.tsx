import { Text } from "@react-email/text";
import { EmailLayout, LinkAndCode, paragraph } from "./layout";

export type RecoveryMessageProps = {
  appName: string;
  username: string;
  link: string;
  code: string;
  minutes: number;
  codeMinutes: number;
  supportUrl: string;
};

export function subject(p: RecoveryMessageProps) {
  return `Reset your ${p.appName} password`;
}

/** The SMS form of this message. */
export function sms(p: RecoveryMessageProps) {
  return `${p.appName}: your password reset code is ${p.code}. It expires in ${p.codeMinutes} minutes. Didn't ask? Ignore this.`;
}

/** The reset message: one link (any browser) and the same request's code (the asking browser). */
export default function PasswordReset(p: RecoveryMessageProps) {
  return (
    <EmailLayout appName={p.appName} preview={`Your code is ${p.code}`} heading="Reset your password">
      <Text style={paragraph}>Someone asked to reset the password of the account {p.username}. If it was you, open this link:</Text>
      <LinkAndCode link={p.link} action="Choose a new password" code={p.code} minutes={p.minutes} codeMinutes={p.codeMinutes} />
      <Text style={paragraph}>
        Didn't ask for this? Ignore this email: nothing changes and your password stays the same. Never share this code;
        we will never ask you for it.
      </Text>
      <Text style={paragraph}>Need help? {p.supportUrl}</Text>
    </EmailLayout>
  );
}
