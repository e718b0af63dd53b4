import type { ActionFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { throttledResponse } from "~/http/responses.server";
import { requestUsernames } from "~/recovery/usernames.server";
import { OneFieldForm, titleMeta } from "~/ui/recovery";

export const meta = titleMeta("recovery:username.heading");

const schema = z.object({
  contact: z
    .string({ error: "recovery:errors.contactRequired" })
    .trim()
    .min(1, "recovery:errors.contactRequired")
    .max(320, "recovery:errors.contactTooLong"),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema });
  const value = String(form.get("contact") ?? "").slice(0, 320);
  if (submission.status !== "success") return data({ errors: submission.error?.contact ?? ["recovery:errors.checkTyped"], value }, { status: 400 });
  const outcome = await requestUsernames(context, request, submission.value.contact, { bot: isBot(form) });
  if (!outcome.ok && outcome.reason === "throttled") throw throttledResponse(outcome.retryAfterSeconds);
  if (!outcome.ok) return data({ errors: ["recovery:errors.contactInvalid"], value }, { status: 400 });
  throw redirect("/forgot-username/sent", { status: 303 });
}

export default function ForgotUsername() {
  const { t } = useTranslation();
  return (
    <OneFieldForm
      heading={t("recovery:username.heading")}
      intro={t("recovery:username.intro")}
      // An e-mail address or a phone number reads left to right, also on an Arabic page.
      field={{ label: t("recovery:username.label"), name: "contact", autoComplete: "email", dir: "ltr" }}
      answer={useActionData<typeof action>()}
      submitLabel={t("recovery:username.submit")}
      links={
        <>
          <Link to="/forgot-password">{t("recovery:username.forgotPassword")}</Link> ·{" "}
          <Link to="/assisted-recovery">{t("recovery:request.cantUse")}</Link>
        </>
      }
    />
  );
}
