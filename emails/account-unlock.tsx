import { Text } from "@react-email/text";
import { EmailLayout, LinkAndCode, paragraph } from "./layout";
import type { RecoveryMessageProps } from "./password-reset";

export type AccountUnlockProps = RecoveryMessageProps;

export function subject(p: AccountUnlockProps) {
  return `Unlock your ${p.appName} account`;
}

/** The SMS form of this message. */
export function sms(p: AccountUnlockProps) {
  return `${p.appName}: your unlock code is ${p.code}. It expires in ${p.codeMinutes} minutes. Didn't ask? Ignore this.`;
}

/** The unlock message: same shape as a reset, separate purpose (TOK-03). */
export default function AccountUnlock(p: AccountUnlockProps) {
  return (
    <EmailLayout appName={p.appName} preview={`Your code is ${p.code}`} heading="Unlock your account">
      <Text style={paragraph}>Someone asked to unlock the account {p.username}. If it was you, open this link:</Text>
      <LinkAndCode link={p.link} action="Unlock my account" code={p.code} minutes={p.minutes} codeMinutes={p.codeMinutes} />
      <Text style={paragraph}>Didn't ask for this? Ignore this email: nothing changes.</Text>
      <Text style={paragraph}>Need help? {p.supportUrl}</Text>
    </EmailLayout>
  );
}
