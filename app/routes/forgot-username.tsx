import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData } from "@remix-run/react";
import { z } from "zod";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { throttledResponse } from "~/http/responses.server";
import { requestUsernames } from "~/recovery/usernames.server";
import { OneFieldForm } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Forgot your username? | Account recovery" }];

const schema = z.object({
  contact: z
    .string({ error: "Enter your email address or phone number" })
    .trim()
    .min(1, "Enter your email address or phone number")
    .max(320, "That's longer than any email address or phone number"),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema });
  const value = String(form.get("contact") ?? "").slice(0, 320);
  if (submission.status !== "success") return data({ errors: submission.error?.contact ?? ["Check what you typed"], value }, { status: 400 });
  const outcome = await requestUsernames(context, request, submission.value.contact, { bot: isBot(form) });
  if (!outcome.ok && outcome.reason === "throttled") throw throttledResponse(outcome.retryAfterSeconds);
  if (!outcome.ok) return data({ errors: ["Enter an email address like name@example.com, or a phone number"], value }, { status: 400 });
  throw redirect("/forgot-username/sent", { status: 303 });
}

export default function ForgotUsername() {
  return (
    <OneFieldForm
      heading="Forgot your username?"
      intro="We'll send every username that uses this email address or phone number to it."
      field={{ label: "Email or phone number", name: "contact", autoComplete: "email" }}
      answer={useActionData<typeof action>()}
      submitLabel="Send my username"
      links={
        <>
          <Link to="/forgot-password">Forgot your password?</Link> · <Link to="/assisted-recovery">Can't use your email or phone?</Link>
        </>
      }
    />
  );
}
