import type { InputHTMLAttributes, ReactNode } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";

const KEY = /^[a-z][a-zA-Z]*:[A-Za-z0-9_.-]+$/;

/** A message that is a catalogue key ("ns:key", as domain code and form schemas give them) in the page's language; other text as it is. */
export function translateMessage(t: TFunction, message: string): string {
  return KEY.test(message) ? t(message) : message;
}

/** Translates a list of messages (field errors) that may be catalogue keys. */
export function useMessages(): (messages: string[] | null | undefined) => string[] | null | undefined {
  const { t } = useTranslation();
  return (messages) => messages?.map((m) => translateMessage(t, m));
}

/** A labelled input with its hint and errors wired to aria-describedby. */
export function Field(
  props: {
    label: string;
    name: string;
    hint?: ReactNode;
    errors?: string[] | null;
  } & Omit<InputHTMLAttributes<HTMLInputElement>, "name">,
) {
  const { label, name, hint, errors, id: idProp, ...input } = props;
  const id = idProp ?? `field-${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors?.length ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {errorId ? (
        <p className="error" id={errorId}>
          {errors!.join(" ")}
        </p>
      ) : null}
      <input
        id={id}
        name={name}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(" ") || undefined}
        {...input}
      />
    </div>
  );
}

/** Hidden from people, tempting to bots: a filled honeypot means the request is ignored. */
export function Honeypot() {
  const { t } = useTranslation();
  return (
    <div className="hp" aria-hidden="true">
      <label htmlFor="hp-website">{t("ui:honeypot")}</label>
      <input id="hp-website" name="website" type="text" tabIndex={-1} autoComplete="off" defaultValue="" />
    </div>
  );
}

export function Notice(props: { kind?: "info" | "success" | "warning" | "error"; title?: string; children: ReactNode }) {
  const kind = props.kind ?? "info";
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {props.title ? <p className="notice-title">{props.title}</p> : null}
      {props.children}
    </div>
  );
}

/** The message a form shows after a refused submission, announced to screen readers. */
export function FormError(props: { message?: string | null }) {
  const { t } = useTranslation();
  if (!props.message) return null;
  return (
    <Notice kind="error">
      <p>{translateMessage(t, props.message)}</p>
    </Notice>
  );
}

/** What a staff action page shows after a submission: success or refusal, in the service's words. */
export function OutcomeNotice(props: { outcome?: { ok: boolean; message: string } | null }) {
  if (!props.outcome) return null;
  return (
    <Notice kind={props.outcome.ok ? "success" : "error"}>
      <p>{props.outcome.message}</p>
    </Notice>
  );
}
