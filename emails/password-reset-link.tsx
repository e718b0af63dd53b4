import { Button } from "@react-email/button";
import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, buttonStyle, paragraph } from "./layout";

export type ResetLinkProps = { appName: string; username: string; link: string; minutes: number; supportUrl: string };

export function subject(p: ResetLinkProps & WithLocale) {
  return tOf(p)("emails:resetLink.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: ResetLinkProps & WithLocale) {
  return tOf(p)("sms:resetLink", { appName: p.appName, link: p.link });
}

/** Sent after support staff approved an assisted recovery: a normal one-time reset link. */
export default function PasswordResetLink(p: ResetLinkProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:resetLink.preview")} heading={t("emails:resetLink.heading")}>
      <Text style={paragraph}>{tl("emails:resetLink.intro", p, ["username"])}</Text>
      <Button href={p.link} style={buttonStyle}>
        {t("emails:resetLink.heading")}
      </Button>
      <Text style={paragraph}>{tl("emails:linkAndCode.copy", p, ["link"])}</Text>
      <Text style={paragraph}>{t("emails:resetLink.validity", { minutes: p.minutes })}</Text>
      <Text style={paragraph}>{tl("emails:resetLink.notYou", p, ["supportUrl"])}</Text>
    </EmailLayout>
  );
}
