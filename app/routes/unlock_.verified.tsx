import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { completeUnlock, lockSituation } from "~/recovery/unlock.server";
import { requireHold } from "~/recovery/journey.server";
import { HOLD_REFUSAL, UNLOCK_NEXT, unlockRefusal } from "~/recovery/messages";
import { Notice } from "~/ui/components";
import { doneCookie } from "~/recovery/feedback.server";

export const meta: MetaFunction = () => [{ title: "Unlock your account | Account recovery" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const check = await requireHold(context, request, "unlock", "choose");
  if (!check.ok) throw data(HOLD_REFUSAL.unlock, { status: 403 });
  return { username: check.hold.user.username, situation: await lockSituation(context, check.hold.user) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const choice = form.get("intent");
  if (choice !== "keep" && choice !== "reset") throw data("Choose one of the two buttons.", { status: 400 });
  const check = await requireHold(context, request, "unlock", "choose");
  if (check.ok && (await lockSituation(context, check.hold.user)) === "support-only") {
    throw data("Our support team must lift this lock. Ask them for help.", { status: 403 });
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
  if (situation === "support-only") {
    return (
      <>
        <h1>Our support team must unlock this account</h1>
        <Notice kind="warning">
          <p>The account {username} was locked to protect it, and only our support team can lift this lock.</p>
        </Notice>
        <p className="actions">
          <Link className="button" to="/assisted-recovery">
            Ask our support team
          </Link>
        </p>
        <p>
          <Link to="/help/locked-out">Why accounts lock and who can unlock them</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Unlock your account</h1>
      <p className="lead">
        {situation === "not-locked"
          ? `The account ${username} isn't locked right now. You can sign in, or choose a new password.`
          : `You've proven this is your account, ${username}. How would you like to continue?`}
      </p>
      <Form method="post" className="actions">
        <button type="submit" name="intent" value="keep" className="button">
          {situation === "not-locked" ? "Keep my password" : "Unlock and keep my password"}
        </button>
        <button type="submit" name="intent" value="reset" className="button button-secondary">
          {situation === "not-locked" ? "Choose a new password" : "Unlock and choose a new password"}
        </button>
      </Form>
      <p className="hint">If you think someone else tried to get into your account, choose a new password.</p>
    </>
  );
}
