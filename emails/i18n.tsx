import { createContext, createElement, Fragment, useContext, type ReactElement, type ReactNode } from "react";
import type { TFunction } from "i18next";
import { dirOf, FALLBACK_LOCALE, isLocale, type Locale } from "../app/i18n/config";
import { fixedT } from "../app/i18n/instance";

/**
 * The language of a customer message (issue 16, docs/decisions/0022): it travels in the outbox
 * payload as `locale` (chosen where the message is queued: the account's language, or the
 * ticket's); a payload without one (staff messages, rows queued before) is English.
 */
export type WithLocale = { locale?: Locale };

export function localeOf(payload: { locale?: unknown }): Locale {
  return isLocale(payload.locale) ? payload.locale : FALLBACK_LOCALE;
}

/** The translate function for a subject or an SMS text. */
export function tOf(payload: { locale?: unknown }): TFunction {
  return fixedT(localeOf(payload));
}

const MessageLocale = createContext<Locale>(FALLBACK_LOCALE);

/** Wraps a template's element so its components render in `locale`. */
export function inLocale(locale: Locale, element: ReactElement): ReactElement {
  return createElement(MessageLocale.Provider, { value: locale }, element);
}

/**
 * In a template: `t` in the message's language, and `tl(key, values, ltr)`, which translates too
 * but isolates the values named in `ltr` (codes, links, addresses, phone numbers) in
 * `<span dir="ltr">` when the message is right to left, so they never read backwards. In a left
 * to right message it is plain `t` (the same markup as before).
 */
export function useMessageT() {
  const locale = useContext(MessageLocale);
  const t = fixedT(locale);
  const rtl = dirOf(locale) === "rtl";
  function tl(key: string, values: Record<string, unknown>, ltr: string[]): ReactNode {
    if (!rtl) return t(key, values);
    const marked: Record<string, unknown> = { ...values };
    ltr.forEach((name, i) => (marked[name] = `\u2063${i}\u2063`));
    const parts = t(key, marked).split(/\u2063(\d+)\u2063/);
    return createElement(
      Fragment,
      null,
      ...parts.map((part, i) => (i % 2 === 1 ? createElement("span", { dir: "ltr" }, String(values[ltr[Number(part)]] ?? "")) : part)),
    );
  }
  return { t, tl, locale, rtl };
}

/** A value standing alone (a code, a link, a username) isolated left to right in a right-to-left message. */
export function Ltr(props: { children: ReactNode }) {
  const locale = useContext(MessageLocale);
  return dirOf(locale) === "rtl" ? createElement("span", { dir: "ltr" }, props.children) : createElement(Fragment, null, props.children);
}
