import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";

export type SmtpTestProps = { appName: string; sentAt: string };

export function subject(p: SmtpTestProps) {
  return `${p.appName}: test message`;
}

/** Sent by `npm run portal -- mail test --to ADDRESS` so operators can check SMTP settings. */
export default function SmtpTest(p: SmtpTestProps) {
  return (
    <EmailLayout appName={p.appName} preview="Your mail settings work" heading="Your mail settings work">
      <Text style={paragraph}>This test message was queued at {p.sentAt} and delivered through the portal's outbox.</Text>
    </EmailLayout>
  );
}
