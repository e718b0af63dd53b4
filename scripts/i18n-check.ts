/**
 * The catalogue check (issue 16), run by tests/unit/i18n-catalogues.test.ts and by hand
 * (`npx tsx scripts/i18n-check.ts`, exit 1 with one line per problem):
 *
 * - every key the code uses exists in every locale, with every plural form the locale needs;
 * - no catalogue key is unused;
 * - every locale has the same keys and the same {{placeholders}} as English;
 * - no Spanish or Arabic entry equals its English text unless app/locales/same-as-english.json
 *   lists it (a brand name, "OK", an e-mail address pattern …) or it has no letters.
 *
 * Keys are written with their namespace, as string literals ("recovery:forgot.title"); a
 * template literal `ns:some.prefix.${x}` marks every key under that prefix as used (a key built
 * from a reason code).
 */
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const LOCALES_DIR = path.join(ROOT, "app/locales");
const SOURCES = ["app", "emails"].map((d) => path.join(ROOT, d));
const PLURAL = /_(zero|one|two|few|many|other)$/;

type Flat = Map<string, string>;

function flatten(obj: unknown, prefix: string, out: Flat) {
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix.endsWith(":") ? `${prefix}${k}` : `${prefix}.${k}`;
    if (typeof v === "string") out.set(key, v);
    else if (v && typeof v === "object") flatten(v, key, out);
    else throw new Error(`${key}: only strings and objects belong in a catalogue`);
  }
}

export function loadCatalogues(): Map<string, Flat> {
  const result = new Map<string, Flat>();
  for (const locale of fs.readdirSync(LOCALES_DIR).filter((d) => fs.statSync(path.join(LOCALES_DIR, d)).isDirectory())) {
    const flat: Flat = new Map();
    for (const file of fs.readdirSync(path.join(LOCALES_DIR, locale)).filter((f) => f.endsWith(".json"))) {
      flatten(JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, locale, file), "utf8")), `${file.replace(/\.json$/, "")}:`, flat);
    }
    result.set(locale, flat);
  }
  return result;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "locales" ? [] : sourceFiles(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

export function usedKeys(namespaces: Set<string>): { keys: Set<string>; prefixes: Set<string> } {
  const keys = new Set<string>();
  const prefixes = new Set<string>();
  for (const file of SOURCES.flatMap(sourceFiles)) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/["'`]([a-z][a-zA-Z]*):([A-Za-z0-9_.-]+)["'`]/g)) if (namespaces.has(m[1])) keys.add(`${m[1]}:${m[2]}`);
    for (const m of text.matchAll(/`([a-z][a-zA-Z]*):([A-Za-z0-9_.-]*)\$\{/g)) if (namespaces.has(m[1])) prefixes.add(`${m[1]}:${m[2]}`);
  }
  return { keys, prefixes };
}

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*([\w.]+)(?:,[^}]*)?\s*\}\}/g)].map((m) => m[1]).sort().join(",");

export function checkCatalogues(): string[] {
  const problems: string[] = [];
  const catalogues = loadCatalogues();
  const en = catalogues.get("en");
  if (!en) return ["app/locales/en is missing"];
  const sameFile = path.join(LOCALES_DIR, "same-as-english.json");
  const same = new Set<string>(fs.existsSync(sameFile) ? (JSON.parse(fs.readFileSync(sameFile, "utf8")) as string[]) : []);
  const namespaces = new Set([...en.keys()].map((k) => k.split(":")[0]));
  const { keys: used, prefixes } = usedKeys(namespaces);
  const baseOf = (k: string) => k.replace(PLURAL, "");
  const enBases = new Set([...en.keys()].map(baseOf));

  for (const key of used) if (!enBases.has(key)) problems.push(`used in code, missing from en: ${key}`);
  for (const base of enBases) {
    if (used.has(base)) continue;
    if ([...prefixes].some((p) => base.startsWith(p))) continue;
    problems.push(`in the catalogues, used nowhere: ${base}`);
  }
  // <Trans> parses the text as HTML: a component named like a void element (<link>, <input> …)
  // closes at once and the words meant inside it fall out (a link with no text).
  const VOID = /<(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)>/;
  for (const [locale, flat] of catalogues) for (const [key, text] of flat) if (VOID.test(text)) problems.push(`${locale}: ${key} names a <Trans> component like an HTML void element (${VOID.exec(text)![0]}): rename it`);
  for (const [locale, flat] of catalogues) {
    if (locale === "en") continue;
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    for (const [key, text] of en) {
      const plural = PLURAL.exec(key);
      if (plural) {
        // A plural key: this locale needs each of its own forms (Arabic has six).
        if (plural[1] !== "other") continue;
        const base = baseOf(key);
        for (const c of categories) if (!flat.has(`${base}_${c}`)) problems.push(`${locale}: missing plural form ${base}_${c}`);
        continue;
      }
      const theirs = flat.get(key);
      if (theirs === undefined) {
        problems.push(`${locale}: missing ${key}`);
        continue;
      }
      if (placeholders(theirs) !== placeholders(text)) problems.push(`${locale}: ${key} has placeholders {${placeholders(theirs)}}, English has {${placeholders(text)}}`);
      if (theirs === text && /\p{L}/u.test(text) && !same.has(key)) problems.push(`${locale}: ${key} is the English text (translate it, or list it in same-as-english.json)`);
    }
    for (const key of flat.keys()) {
      if (en.has(key)) continue;
      if (PLURAL.test(key) && en.has(`${baseOf(key)}_other`)) continue;
      problems.push(`${locale}: ${key} is not in English`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = checkCatalogues();
  for (const p of problems) console.log(p);
  console.log(problems.length === 0 ? "catalogues: ok" : `catalogues: ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}
