import { Text } from "@react-email/text";
import { tOf, useMessageT, type WithLocale } from "./i18n";
import { EmailLayout, paragraph } from "./layout";

/** Why an account was locked, as the customer is told (the lock's reason, never its details). */
export type LockWhy = "failed_attempts" | "suspicious_activity" | "reported_compromise" | "staff";

export type AccountLockedProps = {
  appName: string;
  username: string;
  why: LockWhy;
  /** When the lock began, and when it ends by itself (null: until it is lifted). UTC strings. */
  when: string;
  until: string | null;
  /** /unlock for the locks self-service may lift; null for the others (support only). */
  unlockUrl: string | null;
  /** The assisted-recovery page. */
  supportUrl: string;
  supportEmail: string;
};

export function subject(p: AccountLockedProps & WithLocale) {
  return tOf(p)("emails:accountLocked.subject", { appName: p.appName });
}

/** The SMS form of this message. */
export function sms(p: AccountLockedProps & WithLocale) {
  const t = tOf(p);
  const values = { appName: p.appName, username: p.username, why: t(`emails:accountLocked.why.${p.why}`), unlockUrl: p.unlockUrl, supportUrl: p.supportUrl };
  return p.unlockUrl ? t("sms:accountLockedUnlock", values) : t("sms:accountLockedSupport", values);
}

/**
 * To the account's verified contacts, once per lock (issue 14): why in plain words, until when,
 * and the way out. No code, link token or password: the unlock page asks for proof itself.
 */
export default function AccountLocked(p: AccountLockedProps) {
  const { t, tl } = useMessageT();
  const why = t(`emails:accountLocked.why.${p.why}`);
  return (
    <EmailLayout appName={p.appName} preview={t("emails:accountLocked.heading")} heading={t("emails:accountLocked.heading")}>
      <Text style={paragraph}>
        {tl("emails:accountLocked.body", { username: p.username, when: p.when, why }, ["username"])}{" "}
        {p.until ? t("emails:accountLocked.until", { until: p.until }) : t("emails:accountLocked.untilUnlocked")}
      </Text>
      <Text style={paragraph}>{t("emails:accountLocked.whileLocked")}</Text>
      {p.unlockUrl ? (
        <Text style={paragraph}>{tl("emails:accountLocked.selfService", p, ["unlockUrl"])}</Text>
      ) : (
        <Text style={paragraph}>{tl("emails:accountLocked.support", p, ["supportUrl", "supportEmail"])}</Text>
      )}
    </EmailLayout>
  );
}
