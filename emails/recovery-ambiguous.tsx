import { Text } from "@react-email/text";
import { EmailLayout, paragraph } from "./layout";

export type AmbiguousProps = { appName: string; purpose: "reset" | "unlock"; usernames: string[]; origin: string };

export function subject(p: AmbiguousProps) {
  return `${p.appName}: which account?`;
}

/** The SMS form of this message. */
export function sms(p: AmbiguousProps) {
  return `${p.appName}: several accounts use this number (${p.usernames.join(", ")}). Start again with your username: ${p.origin}`;
}

/** Several accounts share the address that was typed: list them and ask for a username instead. */
export default function RecoveryAmbiguous(p: AmbiguousProps) {
  const start = `${p.origin}/${p.purpose === "reset" ? "forgot-password" : "unlock"}`;
  return (
    <EmailLayout appName={p.appName} preview="More than one account uses this address" heading="More than one account uses this address">
      <Text style={paragraph}>
        Someone asked to {p.purpose === "reset" ? "reset the password" : "unlock the account"} for this email address, which
        is used by these accounts:
      </Text>
      {p.usernames.map((u) => (
        <Text key={u} style={{ ...paragraph, fontWeight: 700 }}>
          {u}
        </Text>
      ))}
      <Text style={paragraph}>To continue, start again and type the username of the account you mean: {start}</Text>
      <Text style={paragraph}>Didn't ask for this? Ignore this email: nothing changes.</Text>
    </EmailLayout>
  );
}
