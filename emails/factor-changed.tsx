import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, ReportBlock, paragraph } from "./layout";

export type FactorChangedProps = {
  appName: string;
  username: string;
  /** What changed: a code from app/factors (FactorChange); a message queued before codes existed carries its English sentence. */
  change: string;
  left?: number;
  codesDropped?: boolean;
  when: string;
  browser: string;
  ip: string;
  reportUrl: string;
  supportEmail: string;
};

const CHANGES = ["totpAdded", "totpRemoved", "codesCreated", "codeUsed", "passkeyAdded", "passkeyRemoved", "supportRemoved"];

/** The sentence saying what changed, in the message's language. */
function changeText(t: (key: string, values?: Record<string, unknown>) => string, p: FactorChangedProps): string {
  if (!CHANGES.includes(p.change)) return p.change;
  return t(`emails:factorChange.${p.change}`, { count: p.left ?? 0 }) + (p.codesDropped ? t("emails:factorChange.codesDropped") : "");
}

export function subject(p: FactorChangedProps & WithLocale) {
  return tOf(p)("emails:factorChanged.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: FactorChangedProps & WithLocale) {
  const t = tOf(p);
  return t("sms:factorChanged", { appName: p.appName, change: changeText(t, p), username: p.username, reportUrl: p.reportUrl });
}

/** Passkeys, authenticator app and recovery codes: every change is announced (NTF-02). */
export default function FactorChanged(p: FactorChangedProps) {
  const { t, tl } = useMessageT();
  return (
    <EmailLayout appName={p.appName} preview={changeText(t, p)} heading={t("emails:factorChanged.heading")}>
      <Text style={paragraph}>{tl("emails:factorChanged.body", { ...p, change: changeText(t, p) }, ["username", "ip"])}</Text>
      <ReportBlock reportUrl={p.reportUrl} supportEmail={p.supportEmail} />
    </EmailLayout>
  );
}
