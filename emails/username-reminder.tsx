import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type UsernameReminderProps = { appName: string; usernames: string[]; loginUrl: string; resetUrl: string };

export function subject(p: UsernameReminderProps & WithLocale) {
  return tOf(p)("emails:usernames.subject", { appName: p.appName, count: p.usernames.length });
}

/** The SMS form of this message. */
export function sms(p: UsernameReminderProps & WithLocale) {
  return tOf(p)("sms:usernames", { appName: p.appName, count: p.usernames.length, usernames: p.usernames.join(", "), loginUrl: p.loginUrl });
}

/** Every username on this address, with the way to sign in or reset (AR-01). */
export default function UsernameReminder(p: UsernameReminderProps) {
  const { t, tl } = useMessageT();
  const count = p.usernames.length;
  return (
    <EmailLayout appName={p.appName} preview={t("emails:usernames.preview")} heading={t("emails:usernames.heading", { count })}>
      <Text style={paragraph}>{t("emails:usernames.intro", { count })}</Text>
      {p.usernames.map((u) => (
        <Text key={u} style={{ ...paragraph, fontWeight: 700, fontSize: "18px" }}>
          {tl("emails:usernames.line", { username: u }, ["username"])}
        </Text>
      ))}
      <Button href={p.loginUrl} style={buttonStyle}>
        {t("emails:usernames.signInButton")}
      </Button>
      <Text style={paragraph}>{tl("emails:usernames.signIn", p, ["loginUrl"])}</Text>
      <Text style={paragraph}>{tl("emails:usernames.forgot", p, ["resetUrl"])}</Text>
      <Text style={paragraph}>{t("emails:common.ignore")}</Text>
    </EmailLayout>
  );
}
