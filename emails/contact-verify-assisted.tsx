import { Text } from "@react-email/text";
import { EmailLayout, codeStyle, paragraph } from "./layout";

export type ContactVerifyAssistedProps = {
  appName: string;
  username: string;
  code: string;
  kind: "email" | "phone";
  reference: string;
  hours: number;
  pageUrl: string;
};

export function subject(p: ContactVerifyAssistedProps) {
  return `Confirm your new ${p.appName} email address (ticket ${p.reference})`;
}

/** The SMS form of this message. */
export function sms(p: ContactVerifyAssistedProps) {
  return `${p.appName}: to make this the phone number of your account, enter your ticket reference ${p.reference} and the code ${p.code} at ${p.pageUrl}. Didn't ask? Ignore this.`;
}

/**
 * Issue 14: support replaced a lost contact at the customer's request (ticket), and the new contact
 * proves itself with this code on /assisted-recovery/new-contact before it is saved.
 */
export default function ContactVerifyAssisted(p: ContactVerifyAssistedProps) {
  return (
    <EmailLayout appName={p.appName} preview={`Your code is ${p.code}`} heading="Confirm your new email address">
      <Text style={paragraph}>
        Our support team, working on your ticket {p.reference}, was asked to make this address the email address of the account {p.username}. To
        confirm, open {p.pageUrl} and type your ticket reference and this code:
      </Text>
      <Text style={codeStyle}>Your code: {p.code}</Text>
      <Text style={paragraph}>
        The code works for {p.hours} hours. Until it is typed, nothing changes. Didn&apos;t ask for this? Ignore this email.
      </Text>
    </EmailLayout>
  );
}
