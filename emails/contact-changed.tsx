import { Text } from "@react-email/text";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type ContactChangedProps = {
  appName: string;
  username: string;
  kind: "email" | "phone";
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
};

export function subject(p: ContactChangedProps) {
  return `Your ${p.appName} ${p.kind === "email" ? "email address" : "phone number"} was changed`;
}

/** The SMS form of this message. */
export function sms(p: ContactChangedProps) {
  return `${p.appName}: the ${p.kind === "email" ? "email address" : "phone number"} of ${p.username} was changed. Not you? ${p.reportUrl}`;
}

/** Sent to the old and the new contacts after a change (NTF-02, NTF-03). */
export default function ContactChanged(p: ContactChangedProps) {
  const what = p.kind === "email" ? "email address" : "phone number";
  return (
    <EmailLayout appName={p.appName} preview={`Your ${what} was changed`} heading={`Your ${what} was changed`}>
      <Text style={paragraph}>
        The {what} of the account {p.username} was changed on {p.when} from {p.browser}
        {p.ip ? ` (network address ${p.ip})` : ""}.
      </Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
