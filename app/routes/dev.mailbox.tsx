import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { listMailbox } from "~/delivery/dev-mailbox.server";

export const meta: MetaFunction = () => [{ title: "Development mailbox | Account recovery" }];

/** Development only: every email and SMS the embedded catcher received, newest first. */
export async function loader({ context }: LoaderFunctionArgs) {
  const { config, db } = context.services;
  if (config.isProduction) throw new Response("Not found", { status: 404 });
  return {
    messages: (await listMailbox(db)).map((m) => ({
      id: m.id,
      channel: m.channel,
      receivedAt: new Date(m.received_at).toISOString(),
      from: m.sender,
      to: m.recipients,
      subject: m.subject,
      text: m.text_body,
      hasHtml: Boolean(m.html_body),
    })),
  };
}

export default function DevMailbox() {
  const { messages } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Development mailbox</h1>
      <p className="lead">Every email and text message the portal sent while running without SMTP_URL. Newest first.</p>
      {messages.length === 0 ? <p>No messages yet.</p> : null}
      <ol className="mailbox">
        {messages.map((m) => (
          <li key={m.id} className="mail">
            <h2 className="mail-subject">
              {m.channel === "sms" ? "Text message" : m.subject ?? "(no subject)"}
            </h2>
            <p className="mail-meta">
              <span>To: {m.to}</span> · <time dateTime={m.receivedAt}>{m.receivedAt.replace("T", " ").slice(0, 19)} UTC</time>
              {m.hasHtml ? (
                <>
                  {" "}
                  · <a href={`/dev/mailbox/${m.id}/html`}>View HTML</a>
                </>
              ) : null}
            </p>
            <pre className="mail-text">{m.text}</pre>
          </li>
        ))}
      </ol>
    </>
  );
}
