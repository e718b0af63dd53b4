import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, LinkAndCode, paragraph } from "./layout";
import type { RecoveryMessageProps } from "./password-reset";

export type AccountUnlockProps = RecoveryMessageProps;

export function subject(p: AccountUnlockProps & WithLocale) {
  return tOf(p)("emails:accountUnlock.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: AccountUnlockProps & WithLocale) {
  return tOf(p)("sms:accountUnlock", { appName: p.appName, code: p.code, codeMinutes: p.codeMinutes });
}

/** The unlock message: same shape as a reset, separate purpose (TOK-03). */
export default function AccountUnlock(p: AccountUnlockProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:common.previewCode", { code: p.code })} heading={t("emails:accountUnlock.heading")}>
      <Text style={paragraph}>{tl("emails:accountUnlock.intro", { username: p.username }, ["username"])}</Text>
      <LinkAndCode link={p.link} action={t("emails:accountUnlock.action")} code={p.code} minutes={p.minutes} codeMinutes={p.codeMinutes} />
      <Text style={paragraph}>{t("emails:common.ignore")}</Text>
      <Text style={paragraph}>{tl("emails:common.needHelp", { supportUrl: p.supportUrl }, ["supportUrl"])}</Text>
    </EmailLayout>
  );
}
