import { utcMinuteOrDash } from "./format";

/** The customer's side of a ticket, for the console: their status link and their replies. */
export type TicketCustomerData = {
  hasStatusLink: boolean;
  replies: { id: number; at: number; note: string }[];
};

/** The customer's replies from their status page, set apart from the history (where they also are). */
export function TicketCustomer({ c }: { c: TicketCustomerData }) {
  return (
    <section aria-labelledby="customer-replies">
      <h2 id="customer-replies">The customer's replies</h2>
      <p>
        {c.hasStatusLink
          ? "The customer has a status page link (in their acknowledgement): they see the status, your questions (\"Ask the customer for more information\" notes only) and their replies, and can reply there."
          : "The customer has no status page link (the ticket came from a \"This wasn't me\" report)."}
      </p>
      {c.replies.length === 0 ? (
        <p>No replies yet.</p>
      ) : (
        <ol className="tickets">
          {c.replies.map((r) => (
            <li key={r.id} className="ticket notice-warning" data-testid="customer-reply">
              <strong>{utcMinuteOrDash(r.at)}</strong> · the customer wrote:
              <span className="prewrap"> {r.note}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
