import { Form, Link } from "@remix-run/react";
import { Notice } from "./components";

/** After recovery (issue 15): the "make it easier next time" panel and "How easy was this?". */

export type NextTimeEntry = { key: string; text: string; button: string; href: string };

/** What the account lacks, one line and one button each; nothing when it lacks nothing. */
export function NextTimePanel({ items }: { items: NextTimeEntry[] }) {
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="next-time-heading" data-testid="next-time">
      <h2 id="next-time-heading">Make it easier next time</h2>
      <p>Sign in and add these, so getting back in is quicker if it happens again:</p>
      <ul className="factor-list">
        {items.map((item) => (
          <li key={item.key} data-item={item.key}>
            <p>{item.text}</p>
            <p>
              <Link className="button button-secondary" to={item.href}>
                {item.button}
              </Link>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

export const SCORES = [
  ["1", "1 – Very hard"],
  ["2", "2 – Hard"],
  ["3", "3 – Neither easy nor hard"],
  ["4", "4 – Easy"],
  ["5", "5 – Very easy"],
] as const;

export type FeedbackErrors = { score?: string; comment?: string };

/** The form; it posts to /feedback with the signed token, and works without JavaScript. */
export function FeedbackForm(props: { token: string; errors?: FeedbackErrors; values?: { score?: string; comment?: string }; headingLevel?: 1 | 2 }) {
  const Heading = props.headingLevel === 1 ? "h1" : "h2";
  const e = props.errors ?? {};
  return (
    <section aria-labelledby="feedback-heading" data-testid="feedback-form">
      <Heading id="feedback-heading">How easy was this?</Heading>
      <Form method="post" action="/feedback" noValidate>
        <input type="hidden" name="token" value={props.token} />
        <fieldset className="field" aria-describedby={e.score ? "score-error" : undefined}>
          <legend>How easy was it to get back into your account?</legend>
          {e.score ? (
            <p className="error" id="score-error">
              {e.score}
            </p>
          ) : null}
          {SCORES.map(([value, label]) => (
            <div key={value} className="choice-row">
              <input type="radio" id={`score-${value}`} name="score" value={value} defaultChecked={props.values?.score === value} required />
              <label htmlFor={`score-${value}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="comment">Anything we could do better? (optional)</label>
          <p className="hint" id="comment-hint">
            Up to 1000 characters. Don't include passwords, codes or personal details.
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
          Send feedback
        </button>
      </Form>
    </section>
  );
}

/** The feedback part of a done page: the form, or thanks when this recovery was rated already. */
export function DoneFeedback({ feedback }: { feedback: { token: string; state: "open" | "answered" | "expired" } | null }) {
  if (!feedback || feedback.state === "expired") return null;
  if (feedback.state === "answered") {
    return (
      <Notice kind="success">
        <p>Thank you for telling us how it went.</p>
      </Notice>
    );
  }
  return <FeedbackForm token={feedback.token} />;
}

export type FeedbackResult = "thanks" | "answered" | "invalid" | "expired";

const RESULT_TEXT: Record<FeedbackResult, { title: string; text: string; kind: "success" | "info" | "error" }> = {
  thanks: { title: "Thank you", text: "We read every answer and use them to make recovery easier.", kind: "success" },
  answered: { title: "You already told us, thank you", text: "We keep one answer for each recovery or request, so nothing was changed.", kind: "info" },
  invalid: { title: "This feedback link isn't valid", text: "It may be incomplete: try copying the whole link from the email.", kind: "error" },
  expired: { title: "This feedback link has expired", text: "Feedback links work for a limited time. Thank you anyway.", kind: "info" },
};

export function FeedbackResultPage({ result }: { result: FeedbackResult }) {
  const copy = RESULT_TEXT[result];
  return (
    <>
      <h1>{copy.title}</h1>
      <Notice kind={copy.kind}>
        <p>{copy.text}</p>
      </Notice>
      <p>
        <Link to="/">Back to the start</Link> · <Link to="/help">Help</Link>
      </p>
    </>
  );
}
