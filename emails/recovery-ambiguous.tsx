import { Text } from "@react-email/text";
import { Ltr, tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, paragraph } from "./layout";

export type AmbiguousProps = { appName: string; purpose: "reset" | "unlock"; usernames: string[]; origin: string };

export function subject(p: AmbiguousProps & WithLocale) {
  return tOf(p)("emails:ambiguous.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: AmbiguousProps & WithLocale) {
  return tOf(p)("sms:ambiguous", { appName: p.appName, usernames: p.usernames.join(", "), origin: p.origin });
}

/** Several accounts share the address that was typed: list them and ask for a username instead. */
export default function RecoveryAmbiguous(p: AmbiguousProps) {
  const { t, tl } = useMessageT();
  const start = `${p.origin}/${p.purpose === "reset" ? "forgot-password" : "unlock"}`;
  return (
    <EmailLayout appName={p.appName} preview={t("emails:ambiguous.heading")} heading={t("emails:ambiguous.heading")}>
      <Text style={paragraph}>{p.purpose === "reset" ? t("emails:ambiguous.introReset") : t("emails:ambiguous.introUnlock")}</Text>
      {p.usernames.map((u) => (
        <Text key={u} style={{ ...paragraph, fontWeight: 700 }}>
          <Ltr>{u}</Ltr>
        </Text>
      ))}
      <Text style={paragraph}>{tl("emails:ambiguous.startAgain", { start }, ["start"])}</Text>
      <Text style={paragraph}>{t("emails:common.ignore")}</Text>
    </EmailLayout>
  );
}
