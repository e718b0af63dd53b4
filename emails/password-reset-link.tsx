import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type ResetLinkProps = { appName: string; username: string; link: string; minutes: number; supportUrl: string };

export function subject(p: ResetLinkProps) {
  return `Your ${p.appName} recovery link`;
}

/** The SMS form of this message. */
export function sms(p: ResetLinkProps) {
  return `${p.appName}: our support team approved your request. Choose a new password (works once): ${p.link}`;
}

/** Sent after support staff approved an assisted recovery: a normal one-time reset link. */
export default function PasswordResetLink(p: ResetLinkProps) {
  return (
    <EmailLayout appName={p.appName} preview="Your recovery link" heading="Choose a new password">
      <Text style={paragraph}>Our support team checked your request for the account {p.username}. Use this link to choose a new password:</Text>
      <Button href={p.link} style={buttonStyle}>
        Choose a new password
      </Button>
      <Text style={paragraph}>Or copy it into your browser: {p.link}</Text>
      <Text style={paragraph}>It works once, for {p.minutes} minutes. Our staff never see your password and will never ask for it.</Text>
      <Text style={paragraph}>Didn't ask for help? Tell us: {p.supportUrl}</Text>
    </EmailLayout>
  );
}
