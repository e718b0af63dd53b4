import { Text } from "@react-email/text";
import { EmailLayout, codeStyle, paragraph } from "./layout";

export type ContactVerifyProps = { appName: string; username: string; code: string; kind: "email" | "phone"; minutes: number };

export function subject(p: ContactVerifyProps) {
  return `Confirm your new ${p.appName} email address`;
}

/** The SMS form of this message. */
export function sms(p: ContactVerifyProps) {
  return `${p.appName}: your code to confirm this phone number is ${p.code}. Didn't ask? Ignore this.`;
}

/** Proves a new address before it is saved (NTF-04). */
export default function ContactVerify(p: ContactVerifyProps) {
  return (
    <EmailLayout appName={p.appName} preview={`Your code is ${p.code}`} heading="Confirm your new email address">
      <Text style={paragraph}>Someone signed in as {p.username} asked to use this address for the account. To confirm, type this code on the page:</Text>
      <Text style={codeStyle}>Your code: {p.code}</Text>
      <Text style={paragraph}>The code works for {p.minutes} minutes, once. Didn't ask for this? Ignore this email: nothing changes.</Text>
    </EmailLayout>
  );
}
