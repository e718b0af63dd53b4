import { Text } from "@react-email/text";
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

const WHY: Record<LockWhy, string> = {
  failed_attempts: "someone typed a wrong password for it many times in a row",
  suspicious_activity: "someone asked to recover it from many different networks within an hour",
  reported_compromise: "it was reported as used by someone else, and we locked it to protect it",
  staff: "our support team locked it to protect it",
};

export function subject(p: AccountLockedProps) {
  return `Your ${p.appName} account was locked`;
}

/** The SMS form of this message. */
export function sms(p: AccountLockedProps) {
  const way = p.unlockUrl ? `Unlock it: ${p.unlockUrl}` : `Contact support: ${p.supportUrl}`;
  return `${p.appName}: the account ${p.username} was locked because ${WHY[p.why]}. ${way}`;
}

/**
 * To the account's verified contacts, once per lock (issue 14): why in plain words, until when,
 * and the way out. No code, link token or password: the unlock page asks for proof itself.
 */
export default function AccountLocked(p: AccountLockedProps) {
  return (
    <EmailLayout appName={p.appName} preview="Your account was locked" heading="Your account was locked">
      <Text style={paragraph}>
        The account {p.username} was locked on {p.when} because {WHY[p.why]}.{" "}
        {p.until ? `The lock ends by itself on ${p.until}.` : "It stays locked until it is unlocked."}
      </Text>
      <Text style={paragraph}>While it is locked, nobody can sign in to it, not even with the right password.</Text>
      {p.unlockUrl ? (
        <Text style={paragraph}>
          If this is your account, you can unlock it yourself: go to {p.unlockUrl} and prove it is yours with a link or code we send to your
          verified contact. If it was not you who tried to get in, choose a new password while unlocking.
        </Text>
      ) : (
        <Text style={paragraph}>
          To get it unlocked, contact our support team: {p.supportUrl} (or write to {p.supportEmail}). They will check that the account is
          yours before unlocking it.
        </Text>
      )}
    </EmailLayout>
  );
}
