import { Form, Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { Field, Notice } from "./components";
import { PasskeyButton } from "./passkey-button";
import { pageDate, usePageLocale } from "./locale-date";

export type SecurityPageData = {
  totp: boolean;
  passkeys: { id: string; name: string; createdAt: number; lastUsedAt: number | null }[];
  recoveryCodesLeft: number;
  added: boolean;
  codesLeftWarning: number | null;
};

/** /account/security: passkeys, the authenticator app and recovery codes, with what the last button did. */
export function SecurityPage({ l, a }: { l: SecurityPageData; a?: { message: string; codes: string[] | null } }) {
  const { t } = useTranslation();
  const locale = usePageLocale();
  return (
    <>
      <h1>{t("account:factors.title")}</h1>
      <p className="lead">{t("account:factors.lead")}</p>
      {l.added ? (
        <Notice kind="success">
          <p>{t("account:factors.added")}</p>
        </Notice>
      ) : null}
      {l.codesLeftWarning !== null ? (
        <Notice kind="warning">
          <p>{t("account:factors.codesLeft", { count: l.codesLeftWarning })}</p>
        </Notice>
      ) : null}
      {a?.message ? (
        <Notice kind={a.codes ? "success" : "info"}>
          <p>{t(a.message)}</p>
        </Notice>
      ) : null}
      {a?.codes ? (
        <section className="codes">
          <h2>{t("account:factors.yourCodes")}</h2>
          <p>{t("account:factors.saveCodes")}</p>
          <ul className="code-list" data-testid="recovery-codes">
            {a.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <p className="actions">
            <a className="button button-secondary" download="recovery-codes.txt" href={`data:text/plain;charset=utf-8,${encodeURIComponent(a.codes.join("\n") + "\n")}`}>
              {t("account:factors.download")}
            </a>
          </p>
        </section>
      ) : null}

      <h2>{t("account:factors.passkeys")}</h2>
      {l.passkeys.length === 0 ? <p>{t("account:factors.noPasskeys")}</p> : null}
      <ul className="factor-list">
        {l.passkeys.map((p) => (
          <li key={p.id}>
            <strong>{p.name}</strong> ·{" "}
            {t("account:factors.passkeyLine", {
              added: pageDate(locale, p.createdAt),
              used: p.lastUsedAt ? pageDate(locale, p.lastUsedAt) : t("account:factors.never"),
            })}
            <Form method="post" className="inline">
              <input type="hidden" name="intent" value="remove-passkey" />
              <input type="hidden" name="id" value={p.id} />
              <button type="submit" className="button-link">
                {t("account:factors.remove", { name: p.name })}
              </button>
            </Form>
          </li>
        ))}
      </ul>
      <PasskeyButton use="add" label={t("account:factors.addPasskey")} nameField />
      <noscript>
        <p className="hint">{t("account:factors.needsJs")}</p>
      </noscript>

      <h2>{t("account:factors.totp")}</h2>
      {l.totp ? (
        <>
          <p>{t("account:factors.totpOn")}</p>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="disable-totp" />
            <Field
              label={t("account:factors.codeToRemove")}
              name="code"
              autoComplete="one-time-code"
              maxLength={64}
              hint={t("account:factors.codeToRemoveHint")}
              required
            />
            <button type="submit" className="button button-secondary">
              {t("account:factors.removeTotp")}
            </button>
          </Form>
        </>
      ) : (
        <p>
          <Link className="button button-secondary" to="/account/totp">
            {t("account:factors.setUpTotp")}
          </Link>
        </p>
      )}

      <h2>{t("account:factors.recoveryCodes")}</h2>
      <p>{l.recoveryCodesLeft ? t("account:factors.unused", { count: l.recoveryCodesLeft }) : t("account:factors.noCodes")}</p>
      {l.totp || l.passkeys.length > 0 ? (
        <Form method="post">
          <input type="hidden" name="intent" value="regenerate" />
          <button type="submit" className="button button-secondary">
            {l.recoveryCodesLeft ? t("account:factors.createNew") : t("account:factors.create")}
          </button>
        </Form>
      ) : (
        <p className="hint">{t("account:factors.codesNeedFactor")}</p>
      )}
      <p>
        <Link to="/account">{t("account:factors.back")}</Link>
      </p>
    </>
  );
}
