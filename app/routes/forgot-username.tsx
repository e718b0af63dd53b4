import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { throttledResponse } from "~/http/responses.server";
import { requestUsernames } from "~/recovery/usernames.server";
import { Field, Honeypot } from "~/ui/components";

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
  const a = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <>
      <h1>Forgot your username?</h1>
      <p className="lead">We'll send every username that uses this email address or phone number to it.</p>
      <Form method="post" noValidate>
        <Honeypot />
        <Field
          label="Email or phone number"
          name="contact"
          defaultValue={a?.value}
          errors={a?.errors}
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={320}
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Send my username
        </button>
      </Form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link> · <Link to="/assisted-recovery">Can't use your email or phone?</Link>
      </p>
    </>
  );
}
