import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { feedbackState } from "~/recovery/feedback.server";
import { FeedbackForm, FeedbackResultPage } from "~/ui/feedback";
import { titleMeta } from "~/ui/recovery";

export const meta = titleMeta("ui:feedback.heading");

/**
 * The link in the ticket-closed e-mail. Opening it changes nothing (a mail scanner may open it);
 * the form posts the token to /feedback, where the answer is stored once.
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const token = (params.token ?? "").slice(0, 300);
  const state = await feedbackState(context, token);
  if (state === "open") return { state, token };
  return data({ state, token: "" }, { status: state === "answered" ? 409 : state === "expired" ? 410 : 404 });
}

export default function FeedbackLink() {
  const { state, token } = useLoaderData<typeof loader>();
  if (state === "open") {
    return (
      <>
        <FeedbackForm token={token} headingLevel={1} />
      </>
    );
  }
  return <FeedbackResultPage result={state === "answered" ? "answered" : state === "expired" ? "expired" : "invalid"} />;
}
