import { Form, Link } from "@remix-run/react";
import { Field, Notice } from "./components";
import { PasskeyButton } from "./passkey-button";

export type SecurityPageData = {
  totp: boolean;
  passkeys: { id: string; name: string; createdAt: number; lastUsedAt: number | null }[];
  recoveryCodesLeft: number;
  added: boolean;
  codesLeftWarning: number | null;
};

/** /account/security: passkeys, the authenticator app and recovery codes, with what the last button did. */
export function SecurityPage({ l, a }: { l: SecurityPageData; a?: { message: string; codes: string[] | null } }) {
  return (
    <>
      <h1>Sign-in protection</h1>
      <p className="lead">
        A passkey or an authenticator app protects your account even if someone learns your password. Recovery codes get you in
        if you lose them.
      </p>
      {l.added ? (
        <Notice kind="success">
          <p>Your passkey was added.</p>
        </Notice>
      ) : null}
      {l.codesLeftWarning !== null ? (
        <Notice kind="warning">
          <p>You used a recovery code. You have {l.codesLeftWarning} left; create new ones below if you are running low.</p>
        </Notice>
      ) : null}
      {a?.message ? (
        <Notice kind={a.codes ? "success" : "info"}>
          <p>{a.message}</p>
        </Notice>
      ) : null}
      {a?.codes ? (
        <section className="codes">
          <h2>Your recovery codes</h2>
          <p>Save them somewhere safe, like a password manager or a printed page. Each works once. We won't show them again.</p>
          <ul className="code-list" data-testid="recovery-codes">
            {a.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <p className="actions">
            <a className="button button-secondary" download="recovery-codes.txt" href={`data:text/plain;charset=utf-8,${encodeURIComponent(a.codes.join("\n") + "\n")}`}>
              Download
            </a>
          </p>
        </section>
      ) : null}

      <h2>Passkeys</h2>
      {l.passkeys.length === 0 ? <p>No passkeys yet.</p> : null}
      <ul className="factor-list">
        {l.passkeys.map((p) => (
          <li key={p.id}>
            <strong>{p.name}</strong> · added {new Date(p.createdAt).toISOString().slice(0, 10)} · last used{" "}
            {p.lastUsedAt ? new Date(p.lastUsedAt).toISOString().slice(0, 10) : "never"}
            <Form method="post" className="inline">
              <input type="hidden" name="intent" value="remove-passkey" />
              <input type="hidden" name="id" value={p.id} />
              <button type="submit" className="button-link">
                Remove {p.name}
              </button>
            </Form>
          </li>
        ))}
      </ul>
      <PasskeyButton use="add" label="Add a passkey" nameField />
      <noscript>
        <p className="hint">Adding a passkey needs JavaScript.</p>
      </noscript>

      <h2>Authenticator app</h2>
      {l.totp ? (
        <>
          <p>An authenticator app is set up.</p>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="disable-totp" />
            <Field label="Code to remove it" name="code" autoComplete="one-time-code" maxLength={64} hint="A current code from the app, or a recovery code" required />
            <button type="submit" className="button button-secondary">
              Remove authenticator app
            </button>
          </Form>
        </>
      ) : (
        <p>
          <Link className="button button-secondary" to="/account/totp">
            Set up an authenticator app
          </Link>
        </p>
      )}

      <h2>Recovery codes</h2>
      <p>{l.recoveryCodesLeft ? `You have ${l.recoveryCodesLeft} unused recovery codes.` : "You have no recovery codes."}</p>
      {l.totp || l.passkeys.length > 0 ? (
        <Form method="post">
          <input type="hidden" name="intent" value="regenerate" />
          <button type="submit" className="button button-secondary">
            {l.recoveryCodesLeft ? "Create new recovery codes" : "Create recovery codes"}
          </button>
        </Form>
      ) : (
        <p className="hint">Recovery codes are a backup for an authenticator app or a passkey: set one up first.</p>
      )}
      <p>
        <Link to="/account">Back to your account</Link>
      </p>
    </>
  );
}
