import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type UsernameReminderProps = { appName: string; usernames: string[]; loginUrl: string; resetUrl: string };

export function subject(p: UsernameReminderProps) {
  return `Your ${p.appName} username${p.usernames.length > 1 ? "s" : ""}`;
}

/** The SMS form of this message. */
export function sms(p: UsernameReminderProps) {
  return `${p.appName}: username${p.usernames.length > 1 ? "s" : ""} for this number: ${p.usernames.join(", ")}. Sign in: ${p.loginUrl}`;
}

/** Every username on this address, with the way to sign in or reset (AR-01). */
export default function UsernameReminder(p: UsernameReminderProps) {
  return (
    <EmailLayout appName={p.appName} preview="Your username" heading={p.usernames.length > 1 ? "Your usernames" : "Your username"}>
      <Text style={paragraph}>Someone asked which accounts use this email address. {p.usernames.length > 1 ? "These do:" : "This one does:"}</Text>
      {p.usernames.map((u) => (
        <Text key={u} style={{ ...paragraph, fontWeight: 700, fontSize: "18px" }}>
          Username: {u}
        </Text>
      ))}
      <Button href={p.loginUrl} style={buttonStyle}>
        Sign in
      </Button>
      <Text style={paragraph}>Sign in: {p.loginUrl}</Text>
      <Text style={paragraph}>Forgot the password too? {p.resetUrl}</Text>
      <Text style={paragraph}>Didn't ask for this? Ignore this email: nothing changes.</Text>
    </EmailLayout>
  );
}
