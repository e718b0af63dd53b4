import { Form, Link, useNavigation } from "@remix-run/react";
import { Notice } from "./components";
import { ConsoleNav, type ConsoleNavData } from "./console-nav";
import { TicketIdentityFields } from "./assisted-recovery-page";

export type PhoneTicketAnswer = { errors: Record<string, string[] | null> | null; values: Record<string, string> | null };

/**
 * The console's "New phone ticket": an agent types what a caller says into the same identity
 * checklist as the public form. The caller gets the usual acknowledgement (confirm and status
 * links) at the e-mail address given.
 */
export function PhoneTicketPage({ nav, a }: { nav: ConsoleNavData; a?: PhoneTicketAnswer }) {
  const navigation = useNavigation();
  const e = (a?.errors ?? {}) as Record<string, string[] | undefined>;
  const v = (a?.values ?? {}) as Record<string, string | undefined>;
  return (
    <>
      <ConsoleNav nav={nav} title="New phone ticket" />
      <p className="lead">
        For a customer who called. Ask the questions below and type the caller's answers. Never ask for a password or a code. We
        email the caller an acknowledgement with their reference, a link to confirm the address and a link to follow the request.
      </p>
      {a?.errors ? (
        <Notice kind="error">
          <p>Please check the fields marked below.</p>
        </Notice>
      ) : null}
      <Form method="post" noValidate>
        <TicketIdentityFields e={e} v={v} category={v.category ?? ""} />
        <div className="field choice-row">
          <input type="checkbox" id="consent" name="consent" value="yes" required aria-describedby={e.consent ? "consent-error" : undefined} />
          <label htmlFor="consent">The caller agreed that we may contact them at the address and phone above about this request.</label>
        </div>
        {e.consent ? (
          <p className="error" id="consent-error">
            {e.consent.join(" ")}
          </p>
        ) : null}
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Open the ticket
        </button>
      </Form>
      <p>
        <Link to="/support">All tickets</Link>
      </p>
    </>
  );
}
