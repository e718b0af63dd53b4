import { useEffect, useState } from "react";

type Use = "add" | "sign-in" | "login-factor" | "reset-factor" | "reset" | "reauth";

/**
 * A button that runs a WebAuthn ceremony through /webauthn. Passkeys need JavaScript, so the
 * button only appears once the page is interactive; every page offers another way without it.
 */
export function PasskeyButton(props: { use: Use; label: string; nameField?: boolean; className?: string; next?: string }) {
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  useEffect(() => setReady(typeof window !== "undefined" && "PublicKeyCredential" in window), []);
  if (!ready) return null;

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const post = (body: unknown) =>
        fetch("/webauthn", { method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin", body: JSON.stringify(body) }).then(
          (r) => r.json() as Promise<{ ok: boolean; options?: unknown; redirect?: string; message?: string }>,
        );
      const start = await post({ step: "options", use: props.use });
      if (!start.ok) throw new Error(start.message ?? "Passkeys aren't available right now.");
      const browser = await import("@simplewebauthn/browser");
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- options JSON straight from the server
      const optionsJSON = start.options as any;
      const response = props.use === "add" ? await browser.startRegistration({ optionsJSON }) : await browser.startAuthentication({ optionsJSON });
      const done = await post({ step: "verify", use: props.use, response, name, next: props.next });
      if (!done.ok || !done.redirect) throw new Error(done.message ?? "That passkey didn't work.");
      window.location.assign(done.redirect);
    } catch (e) {
      setError(e instanceof Error && e.name !== "NotAllowedError" ? e.message : "The passkey request was cancelled or timed out.");
      setBusy(false);
    }
  }

  return (
    <div className="passkey">
      {props.nameField ? (
        <div className="field">
          <label htmlFor="passkey-name">Name for this passkey</label>
          <input id="passkey-name" value={name} maxLength={60} onChange={(e) => setName(e.currentTarget.value)} placeholder="e.g. My phone" />
        </div>
      ) : null}
      <button type="button" className={props.className ?? "button button-secondary"} onClick={() => void run()} disabled={busy}>
        {props.label}
      </button>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
