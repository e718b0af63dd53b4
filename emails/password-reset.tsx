import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, LinkAndCode, paragraph } from "./layout";

export type RecoveryMessageProps = {
  appName: string;
  username: string;
  link: string;
  code: string;
  minutes: number;
  codeMinutes: number;
  supportUrl: string;
};

export function subject(p: RecoveryMessageProps & WithLocale) {
  return tOf(p)("emails:passwordReset.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: RecoveryMessageProps & WithLocale) {
  return tOf(p)("sms:passwordReset", { appName: p.appName, code: p.code, codeMinutes: p.codeMinutes });
}

/** The reset message: one link (any browser) and the same request's code (the asking browser). */
export default function PasswordReset(p: RecoveryMessageProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:common.previewCode", { code: p.code })} heading={t("emails:passwordReset.heading")}>
      <Text style={paragraph}>{tl("emails:passwordReset.intro", { username: p.username }, ["username"])}</Text>
      <LinkAndCode link={p.link} action={t("emails:passwordReset.action")} code={p.code} minutes={p.minutes} codeMinutes={p.codeMinutes} />
      <Text style={paragraph}>{t("emails:passwordReset.ignore")}</Text>
      <Text style={paragraph}>{tl("emails:common.needHelp", { supportUrl: p.supportUrl }, ["supportUrl"])}</Text>
    </EmailLayout>
  );
}
