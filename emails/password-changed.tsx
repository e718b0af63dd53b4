import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type ChangedProps = {
  appName: string;
  username: string;
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
  loginUrl: string;
  /** Changed while signed in (/account/password): that browser stays signed in. */
  signedInHere?: boolean;
};

export function subject(p: ChangedProps & WithLocale) {
  return tOf(p)("emails:passwordChanged.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: ChangedProps & WithLocale) {
  return tOf(p)("sms:passwordChanged", { appName: p.appName, username: p.username, reportUrl: p.reportUrl });
}

/** After a reset: what happened, when, from where, and how to report it (NTF-01). Never the password. */
export default function PasswordChanged(p: ChangedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:passwordChanged.heading")} heading={t("emails:passwordChanged.heading")}>
      <Text style={paragraph}>{tl("emails:passwordChanged.body", p, ["username", "ip"])}</Text>
      {p.signedInHere ? (
        <Text style={paragraph}>{t("emails:passwordChanged.signedInHere")}</Text>
      ) : (
        <Text style={paragraph}>{tl("emails:passwordChanged.signIn", p, ["loginUrl"])}</Text>
      )}
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
