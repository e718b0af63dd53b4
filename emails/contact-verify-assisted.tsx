import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, codeStyle, paragraph } from "./layout";

export type ContactVerifyAssistedProps = {
  appName: string;
  username: string;
  code: string;
  kind: "email" | "phone";
  reference: string;
  hours: number;
  pageUrl: string;
};

export function subject(p: ContactVerifyAssistedProps & WithLocale) {
  return tOf(p)("emails:contactVerifyAssisted.subject", { appName: p.appName, reference: p.reference });
}

/** The SMS form of this message. */
export function sms(p: ContactVerifyAssistedProps & WithLocale) {
  return tOf(p)("sms:contactVerifyAssisted", { appName: p.appName, reference: p.reference, code: p.code, pageUrl: p.pageUrl });
}

/**
 * Issue 14: support replaced a lost contact at the customer's request (ticket), and the new contact
 * proves itself with this code on /assisted-recovery/new-contact before it is saved.
 */
export default function ContactVerifyAssisted(p: ContactVerifyAssistedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:common.previewCode", { code: p.code })} heading={t("emails:contactVerifyAssisted.heading")}>
      <Text style={paragraph}>{tl("emails:contactVerifyAssisted.intro", p, ["reference", "username", "pageUrl"])}</Text>
      <Text style={codeStyle}>{tl("emails:linkAndCode.code", p, ["code"])}</Text>
      <Text style={paragraph}>{t("emails:contactVerifyAssisted.validity", { hours: p.hours })}</Text>
    </EmailLayout>
  );
}
