import { Form, Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { Notice } from "./components";
import { pageDateTime, usePageLocale } from "./locale-date";

/** What /account/security shows; app/settings/account-security.server.ts builds `activity`. */
export type AccountSecurityData = {
  activity: {
    seq: number;
    at: string;
    what: string;
    kind: string;
    detail: "passkey" | "delayed" | "lock" | null;
    lockReason: string | null;
    by: "staff" | "system" | null;
    failed: boolean;
    device: string;
    network: string;
  }[];
  activityDays: number;
  devices: { id: string; createdAt: string; lastSeenAt: string; device: string; network: string; current: boolean }[];
  newDeviceNotices: boolean;
  hasPassword: boolean;
  done: string | null;
};

/**
 * describeBrowser's words (app/http/user-agent.ts, shared with the English e-mails) said in the
 * page's language: "Chrome on Linux" keeps the product names and translates the rest.
 */
function useDeviceWords() {
  const { t } = useTranslation();
  const one = (s: string) =>
    s === "an unknown browser"
      ? t("account:device.unknown")
      : s === "a browser"
        ? t("account:device.browser")
        : s === "a script or command-line tool"
          ? t("account:device.script")
          : s;
  return (s: string) => {
    const on = / on (Windows|Android|iOS|macOS|ChromeOS|Linux)$/.exec(s);
    return on ? t("account:device.on", { browser: one(s.slice(0, on.index)), os: on[1] }) : one(s);
  };
}

const DONE = new Set(["signed-out", "not-found", "others", "password-changed", "notices-on", "notices-off"]);
const LOCK_REASONS = new Set(["failed_attempts", "suspicious_activity", "reported_compromise", "staff"]);

/** The account security sections of /account/security: password, recent activity, devices, new-device notices. */
export function AccountSecuritySections({ l }: { l: AccountSecurityData }) {
  const { t } = useTranslation();
  const locale = usePageLocale();
  const when = (iso: string) => pageDateTime(locale, Date.parse(iso));
  const deviceWords = useDeviceWords();
  const others = l.devices.filter((d) => !d.current).length;
  const what = (e: AccountSecurityData["activity"][number]) => {
    const base = t(`account:activity.kind.${e.kind}`);
    if (e.detail === "passkey") return t("account:activity.withPasskey", { what: base });
    if (e.detail === "delayed") return t("account:activity.delayed", { what: base });
    if (e.detail === "lock" && e.lockReason && LOCK_REASONS.has(e.lockReason)) {
      return t("account:activity.lockedFor", { what: base, reason: t(`account:activity.lockReason.${e.lockReason}`) });
    }
    return base;
  };
  const device = (e: { by?: "staff" | "system" | null; device: string }) =>
    e.by === "staff" ? t("account:activity.bySupport") : e.by === "system" ? t("account:activity.automatic") : deviceWords(e.device);
  return (
    <>
      {l.done && DONE.has(l.done) ? (
        <Notice kind="success">
          <p>{t(`account:security.done.${l.done}`)}</p>
        </Notice>
      ) : null}
      <section aria-labelledby="password-heading">
        <h2 id="password-heading">{t("account:security.password")}</h2>
        <p>
          <Link to="/account/password">{l.hasPassword ? t("account:security.changePassword") : t("account:security.setPassword")}</Link>
          {t("account:security.passwordNote")}
        </p>
      </section>

      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">{t("account:security.activity")}</h2>
        <p>{t("account:security.activityIntro", { count: l.activityDays })}</p>
        {l.activity.length === 0 ? (
          <p>{t("account:security.nothing", { count: l.activityDays })}</p>
        ) : (
          <ul className="security-list" data-testid="activity">
            {l.activity.map((e) => (
              <li key={e.seq} data-testid="activity-entry">
                <p>
                  <strong>{what(e)}</strong>
                  {e.failed ? <span className="badge badge-warn">{t("account:security.failed")}</span> : null}
                  <br />
                  <time dateTime={e.at}>{when(e.at)}</time> · {device(e)} · {t("account:security.network")} <bdi dir="ltr">{e.network}</bdi>
                </p>
                <Form method="post" action="/account/security">
                  <input type="hidden" name="intent" value="report-activity" />
                  <input type="hidden" name="seq" value={e.seq} />
                  <button type="submit" className="button button-secondary">
                    {t("account:security.notMe")}
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        <p className="hint">{t("account:security.notMeHint")}</p>
      </section>

      <section aria-labelledby="devices-heading">
        <h2 id="devices-heading">{t("account:security.devices")}</h2>
        <p>{t("account:security.devicesIntro")}</p>
        <ul className="security-list" data-testid="devices">
          {l.devices.map((d) => (
            <li key={d.id} data-testid="device">
              <p>
                <strong>{deviceWords(d.device)}</strong> {d.current ? <span className="badge">{t("account:security.thisDevice")}</span> : null}
                <br />
                {t("account:security.signedIn")} <time dateTime={d.createdAt}>{when(d.createdAt)}</time> · {t("account:security.lastSeen")}{" "}
                <time dateTime={d.lastSeenAt}>{when(d.lastSeenAt)}</time> · {t("account:security.network")} <bdi dir="ltr">{d.network}</bdi>
              </p>
              {d.current ? null : (
                <Form method="post" action="/account/security">
                  <input type="hidden" name="intent" value="sign-out-device" />
                  <input type="hidden" name="id" value={d.id} />
                  <button type="submit" className="button button-secondary">
                    {t("account:security.signOut")}
                  </button>
                </Form>
              )}
            </li>
          ))}
        </ul>
        {others > 0 ? (
          <Form method="post" action="/account/security">
            <input type="hidden" name="intent" value="sign-out-others" />
            <button type="submit" className="button">
              {t("account:security.signOutOthers")}
            </button>
          </Form>
        ) : (
          <p>{t("account:security.noOthers")}</p>
        )}
      </section>

      <section aria-labelledby="notices-heading">
        <h2 id="notices-heading">{t("account:security.notices")}</h2>
        <Form method="post" action="/account/security">
          <input type="hidden" name="intent" value="new-device-notices" />
          <fieldset className="field">
            <legend>{t("account:security.noticesLegend")}</legend>
            <div className="choice-row">
              <input type="radio" id="notices-on" name="newDeviceNotices" value="on" defaultChecked={l.newDeviceNotices} />
              <label htmlFor="notices-on">{t("account:security.on")}</label>
            </div>
            <div className="choice-row">
              <input type="radio" id="notices-off" name="newDeviceNotices" value="off" defaultChecked={!l.newDeviceNotices} />
              <label htmlFor="notices-off">{t("account:security.off")}</label>
            </div>
            <p className="hint">{t("account:security.noticesHint")}</p>
          </fieldset>
          <button type="submit" className="button button-secondary">
            {t("account:security.save")}
          </button>
        </Form>
      </section>
    </>
  );
}
