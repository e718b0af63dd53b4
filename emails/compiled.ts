import { emailBrand, type EmailBrand } from "./brand";

/**
 * Templates compiled ahead (issue 12, docs/decisions/0024). A reset storm sends thousands of the
 * same message that differ only in a few printed values (username, link, code). Rendering React
 * and deriving the text with html-to-text cost about half a millisecond per message; this renders
 * each *shape* of a message once, with placeholders where the printed values go, and then fills
 * in each message's values with string joins.
 *
 * What makes that safe:
 * - A template names its `printed` props: strings (or lists of strings) it only prints or tests
 *   for presence. Everything else (locale, numbers, kinds) is part of the shape.
 * - A placeholder has the value's length, so anything that depends on length (the preview's
 *   padding) comes out the same; values that are equal share one placeholder.
 * - Only values that html-to-text and React pass through unchanged are filled in: no line breaks,
 *   no runs of spaces, none at either end, nothing in the placeholder range. Any other value, and
 *   any template without `printed`, gets a full render, as before.
 * - Each new shape is checked once: it is rendered in full with probe values of the same lengths
 *   (mixed case, `&<>"'`, a space, a non-ASCII letter), and must give exactly what filling the
 *   compiled shape with the same probes gives. A shape that does not (an uppercased heading, a
 *   link hidden because its text equals its address) is remembered as such and always rendered in
 *   full.
 */
export type Rendered = { html: string; text: string };

const OPEN = "\uE000";
const PAD = "\uE002";
const CLOSE = "\uE001";
const PLACEHOLDER = /\uE000(\d+)\uE002*\uE001/;
/** Characters that must not be in a value that is filled in: whitespace other than one space, controls, the placeholder range. */
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const UNSAFE = /[^\S ]|[\u0000-\u001f\u007f-\u009f\u200b\u2063\ue000-\uf8ff]| {2}|^ | $/;
const MIN_LENGTH = 4;
/** Shapes kept per branding; a new shape past this drops the oldest. Bounded, as the values in a shape are few. */
const CAP = 256;

/** A compiled shape: literal text at even positions, the index of a value at odd ones. */
type Parts = (string | number)[];
type Compiled = { html: Parts; text: Parts } | null;

const caches = new WeakMap<EmailBrand, Map<string, Compiled>>();
/** Thrown by a value that cannot be filled in, and caught at once: the message renders in full. */
const NOT_COMPILABLE = new Error("not compilable");

function placeholder(index: number, length: number): string | undefined {
  const id = String(index);
  const pad = length - 2 - id.length;
  return pad < 0 ? undefined : OPEN + id + PAD.repeat(pad) + CLOSE;
}

function split(rendered: string): Parts | undefined {
  const pieces = rendered.split(new RegExp(PLACEHOLDER.source, "g"));
  const parts: Parts = pieces.map((piece, i) => (i % 2 === 1 ? Number(piece) : piece));
  // A placeholder cut or altered by the render leaves a stray marker: not compilable.
  for (let i = 0; i < parts.length; i += 2) if (/[\ue000-\ue002]/.test(parts[i] as string)) return undefined;
  return parts;
}

function fill(parts: Parts, values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) out += i % 2 === 0 ? (parts[i] as string) : values[parts[i] as number];
  return out;
}

/**
 * React's escaping of text and attribute values (escapeTextForBrowser), which the HTML needs to
 * equal a full render byte for byte. Not app/http/html.ts's escapeHtml: that writes `'` as
 * `&#39;`, React as `&#x27;`.
 */
const ESCAPES: Record<string, string> = { '"': "&quot;", "&": "&amp;", "'": "&#x27;", "<": "&lt;", ">": "&gt;" };
function escapeHtml(value: string): string {
  return value.replace(/["&'<>]/g, (c) => ESCAPES[c]!);
}

/** A probe of the given length for value `index`: distinct per index, and exercising case, escaping, a space and non-ASCII. */
function probe(index: number, length: number): string {
  // Even the shortest (4 characters) has a space and a lower-case letter.
  const base = `${index} pé&<Z"'>x `.repeat(Math.ceil(length / 11) + 1).slice(0, length);
  return base.endsWith(" ") ? base.slice(0, -1) + "y" : base;
}

/**
 * The message rendered from its compiled shape, or undefined when it must be rendered in full
 * (no printed props, a value that cannot be filled in, or a shape that failed its check).
 * `renderFull` is the one full render; it is called only to compile and check a new shape.
 */
export function renderCompiled(
  name: string,
  printed: readonly string[] | undefined,
  payload: Record<string, unknown>,
  renderFull: (payload: Record<string, unknown>) => Rendered,
): Rendered | undefined {
  if (!printed?.length) return undefined;
  const values: string[] = [];
  const indexOf = new Map<string, number>();
  const shape: Record<string, unknown> = { ...payload };
  const slot = (value: unknown): string | null | undefined => {
    if (value === "" || value === null || value === undefined) return value as string | null | undefined;
    if (typeof value !== "string" || value.length < MIN_LENGTH || UNSAFE.test(value)) throw NOT_COMPILABLE;
    let index = indexOf.get(value);
    if (index === undefined) {
      index = values.length;
      values.push(value);
      indexOf.set(value, index);
    }
    const marker = placeholder(index, value.length);
    if (marker === undefined) throw NOT_COMPILABLE;
    return marker;
  };
  try {
    for (const prop of printed) {
      // An absent prop stays absent: i18next prints `{{prop}}` for a missing value but nothing for `undefined`.
      if (!Object.hasOwn(payload, prop)) continue;
      const value = payload[prop];
      shape[prop] = Array.isArray(value) ? value.map(slot) : slot(value);
    }
  } catch (e) {
    if (e === NOT_COMPILABLE) return undefined;
    throw e;
  }
  const brand = emailBrand();
  let cache = caches.get(brand);
  if (!cache) caches.set(brand, (cache = new Map()));
  const key = name + "\0" + JSON.stringify(shape);
  let compiled = cache.get(key);
  if (compiled === undefined) {
    compiled = compile(shape, printed, values, renderFull);
    if (cache.size >= CAP) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
  }
  if (!compiled) return undefined;
  return { html: fill(compiled.html, values.map(escapeHtml)), text: fill(compiled.text, values) };
}

function compile(
  shape: Record<string, unknown>,
  printed: readonly string[],
  values: readonly string[],
  renderFull: (payload: Record<string, unknown>) => Rendered,
): Compiled {
  const withPlaceholders = renderFull(shape);
  const html = split(withPlaceholders.html);
  const text = split(withPlaceholders.text);
  if (!html || !text) return null;
  // The check: the same shape with probe values, rendered in full and filled in, must agree.
  const probes = values.map((v, i) => probe(i, v.length));
  const swap = (value: unknown): unknown => (typeof value === "string" && value ? probes[Number(PLACEHOLDER.exec(value)![1])] : value);
  const probed: Record<string, unknown> = { ...shape };
  for (const prop of printed) {
    if (Object.hasOwn(shape, prop)) probed[prop] = Array.isArray(shape[prop]) ? (shape[prop] as unknown[]).map(swap) : swap(shape[prop]);
  }
  const full = renderFull(probed);
  if (fill(html, probes.map(escapeHtml)) !== full.html || fill(text, probes) !== full.text) return null;
  return { html, text };
}
