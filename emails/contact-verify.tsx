import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, codeStyle, paragraph } from "./layout";

export type ContactVerifyProps = { appName: string; username: string; code: string; kind: "email" | "phone"; minutes: number };

export function subject(p: ContactVerifyProps & WithLocale) {
  return tOf(p)("emails:contactVerify.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: ContactVerifyProps & WithLocale) {
  return tOf(p)("sms:contactVerify", { appName: p.appName, code: p.code });
}

/** Proves a new address before it is saved (NTF-04). */
export default function ContactVerify(p: ContactVerifyProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:common.previewCode", { code: p.code })} heading={t("emails:contactVerify.heading")}>
      <Text style={paragraph}>{tl("emails:contactVerify.intro", p, ["username"])}</Text>
      <Text style={codeStyle}>{tl("emails:linkAndCode.code", p, ["code"])}</Text>
      <Text style={paragraph}>{t("emails:contactVerify.validity", { minutes: p.minutes })}</Text>
    </EmailLayout>
  );
}
