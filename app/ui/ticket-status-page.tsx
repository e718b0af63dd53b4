import { Form, Link, useNavigation } from "@remix-run/react";
import { Notice } from "./components";
import { utcMinute } from "./format";

/** What the customer's status page shows: their own ticket, never an internal note. */
export type TicketStatusPageData = {
  reference: string;
  status: string;
  statusTitle: string;
  statusText: string;
  openedAt: number;
  category: string;
  details: string | null;
  conversation: { at: number; from: "support" | "you"; text: string }[];
  mayReply: boolean;
};

export type TicketStatusAnswer = { ok: boolean; message: string; errors?: string[] | null; value?: string | null };

/** Without a valid link (or after its hour): how to get back in. */
export function StatusLinkNeeded({ reason }: { reason: "invalid" | "throttled" | "no-hold" | "expired" }) {
  return (
    <>
      <h1>Your request</h1>
      <Notice kind="error">
        <p>
          {reason === "throttled"
            ? "Too many attempts from your network. Wait a few minutes and try the link again."
            : reason === "expired"
              ? "This request was closed more than 30 days ago, so its link no longer opens it. If you still need help, send a new request."
              : reason === "invalid"
              ? "This link isn't valid. Use the link in the email we sent when you asked for help."
              : "To see your request, open the link in the email we sent when you asked for help. The page stays open for an hour after you use it."}
        </p>
      </Notice>
      <p>
        <Link to="/assisted-recovery">Ask our support team for help</Link>
      </p>
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}

/** The customer's ticket: reference, status in plain words, what they wrote, our questions and their replies. */
export function TicketStatusPage({ d, a }: { d: TicketStatusPageData; a?: TicketStatusAnswer }) {
  const navigation = useNavigation();
  const errors = a && !a.ok ? (a.errors ?? null) : null;
  return (
    <>
      <h1>Your request {d.reference}</h1>
      <Notice kind={d.status === "waiting_customer" ? "warning" : "info"} title={`Status: ${d.statusTitle}`}>
        <p>{d.statusText}</p>
      </Notice>
      {a && (a.ok || !errors) ? <Notice kind={a.ok ? "success" : "error"}>
          <p>{a.message}</p>
        </Notice> : null}
      <dl className="details">
        <dt>Reference</dt>
        <dd>{d.reference}</dd>
        <dt>Opened</dt>
        <dd>{utcMinute(d.openedAt)}</dd>
        <dt>What happened</dt>
        <dd>{d.category}</dd>
      </dl>
      <h2>What you told us</h2>
      <p className="prewrap">{d.details ?? "You didn't add a description."}</p>
      <h2>Our questions and your answers</h2>
      {d.conversation.length === 0 ? <p>Nothing yet. If we need to know more, our questions will appear here and we'll email you.</p> : null}
      <ol className="history">
        {d.conversation.map((m, i) => (
          <li key={i}>
            <strong>{m.from === "support" ? "Our support team asked" : "You wrote"}</strong> ({utcMinute(m.at)}):
            <span className="prewrap"> {m.text}</span>
          </li>
        ))}
      </ol>
      {d.mayReply ? (
        <Form method="post" noValidate>
          <h2>Add information or answer our questions</h2>
          <div className="field">
            <label htmlFor="message">Your message</label>
            <p className="hint" id="message-hint">
              3 to 2000 characters. Never send your password or a code.
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
            Send to support
          </button>
        </Form>
      ) : (
        <p>This request is finished, so it can't take more messages. If you still need help, send a new request.</p>
      )}
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}
