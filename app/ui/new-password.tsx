import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { PolicyContext, PolicyResult, PolicySettings } from "~/accounts/password-policy";
import { FALLBACK_LOCALE, isLocale } from "~/i18n/config";
import { useMessages } from "./components";

/**
 * "New password" and "Confirm new password" with a show/hide toggle and a live strength meter
 * (PWD-08). The meter loads zxcvbn-ts on demand and runs the same policy code as the server
 * (PWD-09); without JavaScript the fields still work and the server explains any rejection.
 */
export function NewPasswordFields(props: {
  settings: PolicySettings;
  context: PolicyContext;
  errors?: { password?: string[]; confirm?: string[] } | null;
  suggestions?: string[];
}) {
  const [visible, setVisible] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  const [result, setResult] = useState<PolicyResult | null>(null);
  const checker = useRef<typeof import("~/accounts/password-policy") | null>(null);
  const { settings, context } = props;
  const { t, i18n } = useTranslation();
  const messages = useMessages();
  const locale = isLocale(i18n.language) ? i18n.language : FALLBACK_LOCALE;

  useEffect(() => setHydrated(true), []);

  async function evaluate(value: string) {
    if (!value) return setResult(null);
    checker.current ??= await import("~/accounts/password-policy");
    await checker.current.loadPasswordLanguage(locale);
    setResult(checker.current.checkPassword(value, settings, context, locale));
  }

  // Both fields show or hide together and take the same attributes, in the same order.
  const shared = { type: visible ? "text" : "password", autoComplete: "new-password", required: true, maxLength: 4096 };
  const passwordErrors = messages(props.errors?.password);
  const confirmErrors = messages(props.errors?.confirm);
  return (
    <>
      <div className="field">
        <label htmlFor="new-password">{t("password:fields.new")}</label>
        <p className="hint" id="new-password-hint">
          {t("password:fields.hint", { min: settings.minLength })}
        </p>
        {passwordErrors?.length ? (
          <div className="error" id="new-password-error">
            {passwordErrors.map((e) => (
              <p key={e}>{e}</p>
            ))}
            {props.suggestions?.map((s) => (
              <p key={s} className="hint">
                {s}
              </p>
            ))}
          </div>
        ) : null}
        <div className="password-row">
          <input
            id="new-password"
            name="password"
            {...shared}
            aria-invalid={passwordErrors?.length ? true : undefined}
            aria-describedby={["new-password-hint", passwordErrors?.length ? "new-password-error" : "", "strength"].filter(Boolean).join(" ")}
            onChange={(e) => void evaluate(e.currentTarget.value)}
          />
          {hydrated ? (
            <button type="button" className="button button-secondary" aria-pressed={visible} onClick={() => setVisible((v) => !v)}>
              {visible ? t("password:fields.hide") : t("password:fields.show")}
            </button>
          ) : null}
        </div>
        <div id="strength" aria-live="polite">
          {result ? (
            <>
              <label htmlFor="strength-meter" className="hint">
                {t("password:fields.strength", { label: t(`password:score.${result.score}`) })}
              </label>
              <meter id="strength-meter" className="meter" min={0} max={4} low={2} high={3} optimum={4} value={result.score} />
              {result.reasons.length ? (
                <ul className="hint">
                  {result.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              ) : (
                <p className="hint">{t("password:fields.meetsRules")}</p>
              )}
            </>
          ) : null}
        </div>
      </div>
      <div className="field">
        <label htmlFor="confirm-password">{t("password:fields.confirm")}</label>
        {confirmErrors?.length ? (
          <p className="error" id="confirm-password-error">
            {confirmErrors.join(" ")}
          </p>
        ) : null}
        <input
          id="confirm-password"
          name="confirm"
          {...shared}
          aria-invalid={confirmErrors?.length ? true : undefined}
          aria-describedby={confirmErrors?.length ? "confirm-password-error" : undefined}
        />
      </div>
    </>
  );
}
