import type { InputHTMLAttributes, ReactNode } from "react";

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
  return (
    <div className="hp" aria-hidden="true">
      <label htmlFor="hp-website">Leave this empty</label>
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
  if (!props.message) return null;
  return (
    <Notice kind="error">
      <p>{props.message}</p>
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
