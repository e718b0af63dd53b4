import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { titleMeta } from "~/ui/recovery";
import { readForm } from "~/http/forms.server";
import { completeUnlock, lockSituation } from "~/recovery/unlock.server";
import { requireHold } from "~/recovery/journey.server";
import { HOLD_REFUSAL, UNLOCK_NEXT, unlockRefusal } from "~/recovery/messages";
import { Notice } from "~/ui/components";
import { doneCookie } from "~/recovery/feedback.server";

export const meta = titleMeta("recovery:unlock.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const check = await requireHold(context, request, "unlock", "choose");
  if (!check.ok) throw data(HOLD_REFUSAL.unlock, { status: 403 });
  return { username: check.hold.user.username, situation: await lockSituation(context, check.hold.user) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const choice = form.get("intent");
  if (choice !== "keep" && choice !== "reset") throw data("recovery:refusal.chooseButton", { status: 400 });
  const check = await requireHold(context, request, "unlock", "choose");
  if (check.ok && (await lockSituation(context, check.hold.user)) === "support-only") {
    throw data("recovery:refusal.supportLock", { status: 403 });
  }
  // What the done page may show this browser (issue 15), read from the hold before it is consumed.
  const done = check.ok && choice === "keep" ? await doneCookie(context, check.hold, "unlock") : null;
  const outcome = await completeUnlock(context, request, choice);
  if (!outcome.ok) {
    const refusal = unlockRefusal(outcome);
    throw data(refusal.message, { status: refusal.status });
  }
  const headers = new Headers([["Set-Cookie", outcome.cookie]]);
  if (done && outcome.then === "done") headers.append("Set-Cookie", done);
  throw redirect(UNLOCK_NEXT[outcome.then], { status: 303, headers });
}

export default function UnlockVerified() {
  const { username, situation } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const name = { name: <bdi /> };
  if (situation === "support-only") {
    return (
      <>
        <h1>{t("recovery:unlock.supportTitle")}</h1>
        <Notice kind="warning">
          <p>
            <Trans i18nKey="recovery:unlock.supportNotice" values={{ username }} components={name} />
          </p>
        </Notice>
        <p className="actions">
          <Link className="button" to="/assisted-recovery">
            {t("recovery:unlock.askSupport")}
          </Link>
        </p>
        <p>
          <Link to="/help/locked-out">{t("recovery:unlock.whyLock")}</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{t("recovery:unlock.title")}</h1>
      <p className="lead">
        {situation === "not-locked" ? (
          <Trans i18nKey="recovery:unlock.notLocked" values={{ username }} components={name} />
        ) : (
          <Trans i18nKey="recovery:unlock.proven" values={{ username }} components={name} />
        )}
      </p>
      <Form method="post" className="actions">
        <button type="submit" name="intent" value="keep" className="button">
          {situation === "not-locked" ? t("recovery:unlock.keep") : t("recovery:unlock.unlockKeep")}
        </button>
        <button type="submit" name="intent" value="reset" className="button button-secondary">
          {situation === "not-locked" ? t("recovery:unlock.choose") : t("recovery:unlock.unlockChoose")}
        </button>
      </Form>
      <p className="hint">{t("recovery:unlock.someoneElse")}</p>
    </>
  );
}
