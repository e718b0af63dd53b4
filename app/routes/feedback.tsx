import type { ActionFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { submitFeedback } from "~/recovery/feedback.server";
import { FeedbackForm, FeedbackResultPage, type FeedbackErrors, type FeedbackResult } from "~/ui/feedback";
import { titleMeta } from "~/ui/recovery";

export const meta = titleMeta("ui:feedback.title");

const STATUS: Record<Exclude<FeedbackResult, "thanks">, number> = { answered: 409, invalid: 400, expired: 410 };

type Answer = { result: FeedbackResult } | { result: "input"; token: string; errors: FeedbackErrors; values: { score: string; comment: string } };

/** One answer per recovery or ticket, named by the signed token in the form (issue 15). */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const token = String(form.get("token") ?? "").slice(0, 300);
  const values = { score: String(form.get("score") ?? "").slice(0, 10), comment: String(form.get("comment") ?? "").slice(0, 5000) };
  const outcome = await submitFeedback(context, token, values);
  if (outcome.ok) return data<Answer>({ result: "thanks" });
  if (outcome.reason === "input") return data<Answer>({ result: "input", token, errors: outcome.errors, values: { ...values, comment: values.comment.slice(0, 1000) } }, { status: 400 });
  return data<Answer>({ result: outcome.reason }, { status: STATUS[outcome.reason] });
}

/**
 * Without a submission this page only says the link isn't valid (no loader: a loader's status would
 * also be the status of the page after the action).
 */
export default function Feedback() {
  const answer = useActionData<Answer>();
  if (answer?.result === "input") return <FeedbackForm token={answer.token} errors={answer.errors} values={answer.values} headingLevel={1} />;
  return <FeedbackResultPage result={answer?.result ?? "invalid"} />;
}
