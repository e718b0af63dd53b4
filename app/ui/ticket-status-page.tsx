import { Form, Link, useNavigation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { Notice } from "./components";
import { pageDateTime, usePageLocale } from "./locale-date";

/**
 * What the customer's status page shows: their own ticket, never an internal note. `statusTitle`,
 * `statusText` and `category` are the English words; the page says them in its language from
 * `status` and `categoryCode`.
 */
export type TicketStatusPageData = {
  reference: string;
  status: string;
  statusTitle: string;
  statusText: string;
  openedAt: number;
  category: string;
  categoryCode: string;
  details: string | null;
  conversation: { at: number; from: "support" | "you"; text: string }[];
  mayReply: boolean;
};

/** `message` is a catalogue key ("assisted:status.thanks"); `count` fills it when it has one. */
export type TicketStatusAnswer = { ok: boolean; message: string; count?: number | null; errors?: string[] | null; value?: string | null };

/** The reply schema's messages (app/tickets/status-page.server.ts) and their catalogue keys. */
const REPLY_ERROR_KEYS: Record<string, string> = {
  "Write your answer or the information you want to add": "assisted:status.errors.empty",
  "Write at least 3 characters": "assisted:status.errors.short",
  "You can write at most 2000 characters": "assisted:status.errors.long",
  "Write your message": "assisted:status.errors.message",
};

/** Without a valid link (or after its hour): how to get back in. */
export function StatusLinkNeeded({ reason }: { reason: "invalid" | "throttled" | "no-hold" | "expired" }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("assisted:status.title")}</h1>
      <Notice kind="error">
        <p>{t(`assisted:status.link.${reason}`)}</p>
      </Notice>
      <p>
        <Link to="/assisted-recovery">{t("assisted:status.askSupport")}</Link>
      </p>
      <p>
        <Link to="/">{t("assisted:backToStart")}</Link>
      </p>
    </>
  );
}

const STATUSES = new Set(["open", "waiting_customer", "approved", "rejected", "closed"]);
const CATEGORY_CODES = new Set(["lost_email", "lost_factor", "locked", "compromised", "other"]);

/** The customer's ticket: reference, status in plain words, what they wrote, our questions and their replies. */
export function TicketStatusPage({ d, a }: { d: TicketStatusPageData; a?: TicketStatusAnswer }) {
  const navigation = useNavigation();
  const { t } = useTranslation();
  const locale = usePageLocale();
  const errors = a && !a.ok ? (a.errors ? a.errors.map((m) => (REPLY_ERROR_KEYS[m] ? t(REPLY_ERROR_KEYS[m]) : m)) : null) : null;
  const known = STATUSES.has(d.status);
  const statusTitle = known ? t(`assisted:status.plain.${d.status}.title`) : d.statusTitle;
  const statusText = known ? t(`assisted:status.plain.${d.status}.text`) : d.statusText;
  const category = CATEGORY_CODES.has(d.categoryCode) ? t(`assisted:choice.${d.categoryCode}`) : d.category;
  return (
    <>
      <h1>
        {t("assisted:status.heading")} <bdi dir="ltr">{d.reference}</bdi>
      </h1>
      <Notice kind={d.status === "waiting_customer" ? "warning" : "info"} title={t("assisted:status.statusTitle", { status: statusTitle })}>
        <p>{statusText}</p>
      </Notice>
      {a && (a.ok || !errors) && a.message ? (
        <Notice kind={a.ok ? "success" : "error"}>
          <p>{t(a.message, { count: a.count ?? 0 })}</p>
        </Notice>
      ) : null}
      <dl className="details">
        <dt>{t("assisted:status.reference")}</dt>
        <dd>
          <bdi dir="ltr">{d.reference}</bdi>
        </dd>
        <dt>{t("assisted:status.opened")}</dt>
        <dd>{pageDateTime(locale, d.openedAt)}</dd>
        <dt>{t("assisted:status.category")}</dt>
        <dd>{category}</dd>
      </dl>
      <h2>{t("assisted:status.toldUs")}</h2>
      <p className="prewrap">{d.details ?? t("assisted:status.noDetails")}</p>
      <h2>{t("assisted:status.conversation")}</h2>
      {d.conversation.length === 0 ? <p>{t("assisted:status.nothingYet")}</p> : null}
      <ol className="history">
        {d.conversation.map((m, i) => (
          <li key={i}>
            <strong>{m.from === "support" ? t("assisted:status.supportAsked") : t("assisted:status.youWrote")}</strong> ({pageDateTime(locale, m.at)}):
            <span className="prewrap"> {m.text}</span>
          </li>
        ))}
      </ol>
      {d.mayReply ? (
        <Form method="post" noValidate>
          <h2>{t("assisted:status.addInfo")}</h2>
          <div className="field">
            <label htmlFor="message">{t("assisted:status.yourMessage")}</label>
            <p className="hint" id="message-hint">
              {t("assisted:status.messageHint")}
            </p>
            {errors ? (
              <p className="error" id="message-error">
                {errors.join(" ")}
              </p>
            ) : null}
            <textarea
              id="message"
              name="message"
              rows={6}
              minLength={3}
              maxLength={2000}
              required
              aria-invalid={errors ? true : undefined}
              aria-describedby={errors ? "message-hint message-error" : "message-hint"}
              defaultValue={errors ? (a?.value ?? "") : ""}
            />
          </div>
          <button type="submit" className="button" disabled={navigation.state === "submitting"}>
            {t("assisted:form.submit")}
          </button>
        </Form>
      ) : (
        <p>{t("assisted:status.finished")}</p>
      )}
      <p>
        <Link to="/">{t("assisted:backToStart")}</Link>
      </p>
    </>
  );
}
