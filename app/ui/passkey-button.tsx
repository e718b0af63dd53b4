import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

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
  const { t } = useTranslation();
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
      if (!start.ok) throw new Error(start.message ? t(start.message) : t("ui:passkey.unavailable"));
      const browser = await import("@simplewebauthn/browser");
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- options JSON straight from the server
      const optionsJSON = start.options as any;
      const response = props.use === "add" ? await browser.startRegistration({ optionsJSON }) : await browser.startAuthentication({ optionsJSON });
      const done = await post({ step: "verify", use: props.use, response, name, next: props.next });
      if (!done.ok || !done.redirect) throw new Error(done.message ? t(done.message) : t("ui:passkey.failed"));
      window.location.assign(done.redirect);
    } catch (e) {
      setError(e instanceof Error && e.name !== "NotAllowedError" ? e.message : t("ui:passkey.cancelled"));
      setBusy(false);
    }
  }

  return (
    <div className="passkey">
      {props.nameField ? (
        <div className="field">
          <label htmlFor="passkey-name">{t("ui:passkey.nameLabel")}</label>
          <input id="passkey-name" value={name} maxLength={60} onChange={(e) => setName(e.currentTarget.value)} placeholder={t("ui:passkey.namePlaceholder")} />
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
