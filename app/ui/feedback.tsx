import { Form, Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { Notice } from "./components";

/** After recovery (issue 15): the "make it easier next time" panel and "How easy was this?". */

export type NextTimeEntry = { key: string; text: string; button: string; href: string };

/** What the account lacks, one line and one button each; nothing when it lacks nothing. */
export function NextTimePanel({ items }: { items: NextTimeEntry[] }) {
  const { t } = useTranslation();
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="next-time-heading" data-testid="next-time">
      <h2 id="next-time-heading">{t("ui:nextTime.heading")}</h2>
      <p>{t("ui:nextTime.intro")}</p>
      <ul className="factor-list">
        {items.map((item) => (
          <li key={item.key} data-item={item.key}>
            <p>{t(`ui:nextTime.${item.key}.text`, { defaultValue: item.text })}</p>
            <p>
              <Link className="button button-secondary" to={item.href}>
                {t(`ui:nextTime.${item.key}.button`, { defaultValue: item.button })}
              </Link>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

export const SCORES = ["1", "2", "3", "4", "5"] as const;

export type FeedbackErrors = { score?: string; comment?: string };

/** The form; it posts to /feedback with the signed token, and works without JavaScript. */
export function FeedbackForm(props: { token: string; errors?: FeedbackErrors; values?: { score?: string; comment?: string }; headingLevel?: 1 | 2 }) {
  const Heading = props.headingLevel === 1 ? "h1" : "h2";
  const { t } = useTranslation();
  const raw = props.errors ?? {};
  // The domain's reasons are English; the page says them in its own language.
  const e = { score: raw.score ? t("ui:feedback.scoreError") : undefined, comment: raw.comment ? t("ui:feedback.commentError", { max: 1000 }) : undefined };
  return (
    <section aria-labelledby="feedback-heading" data-testid="feedback-form">
      <Heading id="feedback-heading">{t("ui:feedback.heading")}</Heading>
      <Form method="post" action="/feedback" noValidate>
        <input type="hidden" name="token" value={props.token} />
        <fieldset className="field" aria-describedby={e.score ? "score-error" : undefined}>
          <legend>{t("ui:feedback.legend")}</legend>
          {e.score ? (
            <p className="error" id="score-error">
              {e.score}
            </p>
          ) : null}
          {SCORES.map((value) => (
            <div key={value} className="choice-row">
              <input type="radio" id={`score-${value}`} name="score" value={value} defaultChecked={props.values?.score === value} required />
              <label htmlFor={`score-${value}`}>{t(`ui:feedback.score.${value}`)}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="comment">{t("ui:feedback.comment")}</label>
          <p className="hint" id="comment-hint">
            {t("ui:feedback.commentHint")}
          </p>
          {e.comment ? (
            <p className="error" id="comment-error">
              {e.comment}
            </p>
          ) : null}
          <textarea
            id="comment"
            name="comment"
            rows={4}
            maxLength={1000}
            aria-describedby={e.comment ? "comment-hint comment-error" : "comment-hint"}
            aria-invalid={e.comment ? true : undefined}
            defaultValue={props.values?.comment}
          />
        </div>
        <button type="submit" className="button">
          {t("ui:feedback.send")}
        </button>
      </Form>
    </section>
  );
}

/** The feedback part of a done page: the form, or thanks when this recovery was rated already. */
export function DoneFeedback({ feedback }: { feedback: { token: string; state: "open" | "answered" | "expired" } | null }) {
  const { t } = useTranslation();
  if (!feedback || feedback.state === "expired") return null;
  if (feedback.state === "answered") {
    return (
      <Notice kind="success">
        <p>{t("ui:feedback.answeredNotice")}</p>
      </Notice>
    );
  }
  return <FeedbackForm token={feedback.token} />;
}

export type FeedbackResult = "thanks" | "answered" | "invalid" | "expired";

const RESULT_KIND: Record<FeedbackResult, "success" | "info" | "error"> = { thanks: "success", answered: "info", invalid: "error", expired: "info" };

export function FeedbackResultPage({ result }: { result: FeedbackResult }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t(`ui:feedback.result.${result}.title`)}</h1>
      <Notice kind={RESULT_KIND[result]}>
        <p>{t(`ui:feedback.result.${result}.text`)}</p>
      </Notice>
      <p>
        <Link to="/">{t("ui:feedback.backToStart")}</Link> · <Link to="/help">{t("ui:feedback.help")}</Link>
      </p>
    </>
  );
}
