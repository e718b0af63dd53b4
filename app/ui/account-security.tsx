import { Form, Link } from "@remix-run/react";
import { Notice } from "./components";

export type AccountSecurityData = {
  activity: { seq: number; at: string; what: string; failed: boolean; device: string; network: string }[];
  activityDays: number;
  devices: { id: string; createdAt: string; lastSeenAt: string; device: string; network: string; current: boolean }[];
  newDeviceNotices: boolean;
  hasPassword: boolean;
  done: string | null;
};

const DONE: Record<string, string> = {
  "signed-out": "That device was signed out.",
  "not-found": "That device was already signed out.",
  others: "Every other device was signed out.",
  "password-changed": "Your password was changed. Every other device was signed out, and we e-mailed you about the change.",
  "notices-on": "We'll e-mail you when a new device signs in to your account.",
  "notices-off": "We won't e-mail you about new devices any more. Notices about password, contact and sign-in protection changes, and about locks, are still sent.",
};

const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The account security sections of /account/security: password, recent activity, devices, new-device notices. */
export function AccountSecuritySections({ l }: { l: AccountSecurityData }) {
  const others = l.devices.filter((d) => !d.current).length;
  return (
    <>
      {l.done && DONE[l.done] ? (
        <Notice kind="success">
          <p>{DONE[l.done]}</p>
        </Notice>
      ) : null}
      <section aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <p>
          <Link to="/account/password">{l.hasPassword ? "Change your password" : "Set a password"}</Link>. Every other device is signed out; this one
          stays signed in.
        </p>
      </section>

      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Recent activity</h2>
        <p>
          Security events of the last {l.activityDays} days, newest first. Networks are shown approximately: the first three parts of an IPv4
          address (203.0.113.x), or the /48 block of an IPv6 address.
        </p>
        {l.activity.length === 0 ? (
          <p>Nothing in the last {l.activityDays} days.</p>
        ) : (
          <ul className="security-list" data-testid="activity">
            {l.activity.map((e) => (
              <li key={e.seq} data-testid="activity-entry">
                <p>
                  <strong>{e.what}</strong>
                  {e.failed ? <span className="badge badge-warn">failed</span> : null}
                  <br />
                  <time dateTime={e.at}>{when(e.at)}</time> · {e.device} · network {e.network}
                </p>
                <Form method="post" action="/account/security">
                  <input type="hidden" name="intent" value="report-activity" />
                  <input type="hidden" name="seq" value={e.seq} />
                  <button type="submit" className="button button-secondary">
                    This wasn't me
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        <p className="hint">
          "This wasn't me" signs out every other device, cancels open recovery links, tells our support team, and takes you to change your password.
        </p>
      </section>

      <section aria-labelledby="devices-heading">
        <h2 id="devices-heading">Devices</h2>
        <p>Browsers signed in to your account now.</p>
        <ul className="security-list" data-testid="devices">
          {l.devices.map((d) => (
            <li key={d.id} data-testid="device">
              <p>
                <strong>{d.device}</strong> {d.current ? <span className="badge">This device</span> : null}
                <br />
                Signed in <time dateTime={d.createdAt}>{when(d.createdAt)}</time> · last seen <time dateTime={d.lastSeenAt}>{when(d.lastSeenAt)}</time> ·
                network {d.network}
              </p>
              {d.current ? null : (
                <Form method="post" action="/account/security">
                  <input type="hidden" name="intent" value="sign-out-device" />
                  <input type="hidden" name="id" value={d.id} />
                  <button type="submit" className="button button-secondary">
                    Sign out
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
              Sign out every other device
            </button>
          </Form>
        ) : (
          <p>No other device is signed in.</p>
        )}
      </section>

      <section aria-labelledby="notices-heading">
        <h2 id="notices-heading">Sign-in notices</h2>
        <Form method="post" action="/account/security">
          <input type="hidden" name="intent" value="new-device-notices" />
          <fieldset className="field">
            <legend>E-mail me when a new device signs in</legend>
            <div className="choice-row">
              <input type="radio" id="notices-on" name="newDeviceNotices" value="on" defaultChecked={l.newDeviceNotices} />
              <label htmlFor="notices-on">On</label>
            </div>
            <div className="choice-row">
              <input type="radio" id="notices-off" name="newDeviceNotices" value="off" defaultChecked={!l.newDeviceNotices} />
              <label htmlFor="notices-off">Off</label>
            </div>
            <p className="hint">
              Notices about your password, email or phone, passkeys, authenticator app and recovery codes, and about locks, are always sent: they
              can't be turned off.
            </p>
          </fieldset>
          <button type="submit" className="button button-secondary">
            Save notice setting
          </button>
        </Form>
      </section>
    </>
  );
}
