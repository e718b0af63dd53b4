import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type NewDeviceProps = {
  appName: string;
  username: string;
  when: string;
  browser: string;
  /** The approximate network ("203.0.113.x"), never the full address. */
  network: string;
  reportUrl: string;
  supportEmail: string;
  settingsUrl: string;
};

export function subject(p: NewDeviceProps & WithLocale) {
  return tOf(p)("emails:newDevice.subject", { appName: p.appName });
}

/** A sign-in from a browser never seen on this account (issue 15): when, what, where, and "This wasn't me". */
export default function NewDeviceSignIn(p: NewDeviceProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={t("emails:newDevice.preview")} heading={t("emails:newDevice.heading")}>
      <Text style={paragraph}>{tl("emails:newDevice.body", p, ["username", "network"])}</Text>
      <Text style={paragraph}>{t("emails:newDevice.nothingToDo")}</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
      <Text style={paragraph}>{tl("emails:newDevice.settings", p, ["settingsUrl"])}</Text>
    </EmailLayout>
  );
}
