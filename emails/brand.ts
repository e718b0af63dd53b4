/**
 * The operator's branding as every e-mail shows it (logo, primary colour, support line, legal link):
 * one process-wide setting, given once when the e-mail sender starts (the delivery code passes it
 * to the e-mail thread with the SMTP settings), never per message. Without it the e-mails look as
 * they always did.
 */
export type EmailBrand = {
  /** Absolute (APP_ORIGIN/brand/logo): e-mail clients load it from the portal. */
  logoUrl: string | null;
  primaryColor: string | null;
  supportHours: string | null;
  supportContact: string | null;
  legal: { url: string; text: string } | null;
};

export const DEFAULT_PRIMARY = "#0b57d0";

const NONE: EmailBrand = { logoUrl: null, primaryColor: null, supportHours: null, supportContact: null, legal: null };
let current: EmailBrand = NONE;

/** Sets this process's (or thread's) branding; `null` goes back to none. */
export function setEmailBrand(brand: EmailBrand | null): void {
  current = brand ?? NONE;
}

export function emailBrand(): EmailBrand {
  return current;
}
