import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type matterFn from "gray-matter";
import type MarkdownItClass from "markdown-it";
import type { MarkdownIt as Markdown, RendererRule } from "markdown-it";
import { z } from "zod";
import { escapeHtml } from "~/http/html";
import type { Locale } from "~/i18n/config";

/**
 * The help centre's articles: Markdown files in content/help/ that operators edit without touching
 * code. Each file is one article; its name (without ".md") is its address, /help/<slug>. Front matter:
 * title (required), summary, order, related (slugs). A file that cannot be read as an article is
 * left out with one log line, and the others still show.
 *
 * The folder is read again whenever a file in it is added, removed or changed (name, size and
 * modification time are compared on each use), so edits show without a restart.
 */

export const SLUG = /^[a-z0-9-]{1,80}$/;

export type HelpArticle = {
  slug: string;
  title: string;
  summary: string;
  order: number;
  related: string[];
  /** Safe HTML rendered from the Markdown body (no raw HTML, only http(s), mailto and relative links). */
  html: string;
  /** Lower-case title, summary and body text, for search. */
  search: { title: string; summary: string; body: string };
};

export type HelpLibrary = { articles: HelpArticle[]; bySlug: Map<string, HelpArticle> };

type Warn = (details: Record<string, unknown>, message: string) => void;

const here = path.dirname(fileURLToPath(import.meta.url));

/** content/help in the project root, whether this runs from source (app/help) or from the Remix bundle (build/). */
export function helpDir(): string {
  const root = path.basename(here) === "build" ? path.dirname(here) : path.resolve(here, "../..");
  const candidates = [path.join(root, "content/help"), path.resolve(process.cwd(), "content/help")];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

const frontMatter = z.object({
  title: z.string().trim().min(1, "title is required").max(200),
  summary: z.string().trim().max(500).default(""),
  order: z.number().finite().default(1000),
  related: z.array(z.string()).default([]),
});

const refuseScript = {
  parse: () => {
    throw new Error("only YAML front matter is accepted");
  },
};

/** Links an article may carry: http(s), mailto and addresses on this site. */
export function allowedHref(href: string): boolean {
  const url = href.trim();
  // Protocol-relative ("//host") and backslash tricks would leave the site without saying so.
  if (/^[\\/]{2}/.test(url) || url.includes("\\")) return false;
  // Control characters and spaces inside a scheme are how "java\tscript:" gets past naive checks.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(url)) return false;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (!scheme) return true;
  return ["http", "https", "mailto"].includes(scheme[1].toLowerCase());
}

/**
 * gray-matter and markdown-it, loaded (synchronously, as everything here is) the first time an
 * article is read: importing them was about 0.05 s of every start-up (docs/decisions/0039).
 */
const load = createRequire(import.meta.url);
let parsers: { matter: typeof matterFn; md: Markdown } | undefined;
function helpParsers() {
  parsers ??= { matter: load("gray-matter") as typeof matterFn, md: markdown(load("markdown-it") as typeof MarkdownItClass) };
  return parsers;
}

function markdown(MarkdownIt: typeof MarkdownItClass): Markdown {
  // html: false: any HTML in an article is shown as text, never as markup.
  const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
  md.validateLink = allowedHref;
  const renderToken: RendererRule = (tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options);
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const href = String(tokens[idx].attrGet("href") ?? "");
    if (/^(https?:)/i.test(href)) tokens[idx].attrSet("rel", "noopener noreferrer");
    return renderToken(tokens, idx, options, env, self);
  };
  // The page's own heading is the title (h1): headings in the body start at h2.
  const demote = (tokens: { tag: string }[], idx: number) => {
    if (tokens[idx].tag === "h1") tokens[idx].tag = "h2";
  };
  md.renderer.rules.heading_open = (tokens, idx, options, env, self) => (demote(tokens, idx), renderToken(tokens, idx, options, env, self));
  md.renderer.rules.heading_close = (tokens, idx, options, env, self) => (demote(tokens, idx), renderToken(tokens, idx, options, env, self));
  return md;
}

/** The words of the body as a reader sees them (no Markdown punctuation, link targets or markup). */
function plainText(source: string): string {
  const words: string[] = [];
  for (const token of helpParsers().md.parse(source, {})) {
    if (token.type === "inline") {
      for (const child of token.children ?? []) if (child.type === "text" || child.type === "code_inline") words.push(child.content);
    } else if (token.type === "fence" || token.type === "code_block") {
      words.push(token.content);
    }
  }
  return words.join(" ");
}

/** One article from its file name and text; throws with a short reason when it is not one. */
export function parseArticle(slug: string, source: string): HelpArticle {
  if (!SLUG.test(slug)) throw new Error("file name must be lower-case letters, digits and hyphens");
  const { matter, md } = helpParsers();
  const parsed = matter(source, { engines: { javascript: refuseScript, js: refuseScript, coffee: refuseScript } });
  const front = frontMatter.safeParse(parsed.data);
  if (!front.success) throw new Error(front.error.issues.map((i) => `${i.path.join(".") || "front matter"}: ${i.message}`).join("; "));
  const { title, summary, order, related } = front.data;
  return {
    slug,
    title,
    summary,
    order,
    related: [...new Set(related.map((r) => r.trim()).filter((r) => r !== slug))],
    html: md.render(parsed.content),
    search: { title: fold(title), summary: fold(summary), body: fold(plainText(parsed.content)) },
  };
}

/** Every readable article in `dir`, by order then title; bad files are skipped with one log line each. */
export function loadHelpLibrary(dir: string, warn: Warn): HelpLibrary {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith(".md"));
  } catch (err) {
    warn({ dir, err: err instanceof Error ? err.message : String(err) }, "help centre: articles folder not readable");
  }
  const articles: HelpArticle[] = [];
  for (const name of names) {
    const slug = name.slice(0, -".md".length);
    try {
      articles.push(parseArticle(slug, fs.readFileSync(path.join(dir, name), "utf8")));
    } catch (err) {
      warn({ file: name, reason: (err instanceof Error ? err.message : String(err)).slice(0, 300) }, "help centre: article skipped");
    }
  }
  articles.sort((a, b) => a.order - b.order || a.title.localeCompare(b.title));
  const bySlug = new Map(articles.map((a) => [a.slug, a]));
  // A related slug with no article is dropped rather than shown as a broken link.
  for (const a of articles) a.related = a.related.filter((r) => bySlug.has(r));
  return { articles, bySlug };
}

/** What the folder looks like now: names, sizes and modification times of its articles. */
function fingerprint(dir: string): string {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => {
        const s = fs.statSync(path.join(dir, f));
        return `${f}:${s.size}:${s.mtimeMs}`;
      })
      .join("|");
  } catch {
    return "unreadable";
  }
}

const cache = new Map<string, { fingerprint: string; library: HelpLibrary }>();

/** The articles as they are on disk now: read again only when a file changed since the last use. */
export function helpLibrary(warn: Warn, dir = helpDir()): HelpLibrary {
  const now = fingerprint(dir);
  const held = cache.get(dir);
  if (held && held.fingerprint === now) return held.library;
  const library = loadHelpLibrary(dir, warn);
  cache.set(dir, { fingerprint: now, library });
  return library;
}

/** An article as one language's help centre shows it: `lang` is the language its text is in. */
export type LocalizedArticle = HelpArticle & { lang: Locale };
export type LocalizedLibrary = { articles: LocalizedArticle[]; bySlug: Map<string, LocalizedArticle> };

/**
 * The help centre in `locale` (issue 16): content/help/<locale>/<slug>.md translate the English
 * articles of content/help/<slug>.md under the same slugs. Where a translation is missing (or
 * cannot be read) the English article stands in, marked `lang: "en"` so the page says so on its
 * body. The English articles decide which slugs exist, their order and their related articles;
 * a translated file without an English one is left out. Search runs over this library, so it
 * matches the words of the page's language.
 */
export function localizedLibrary(locale: Locale, warn: Warn, dir = helpDir()): LocalizedLibrary {
  const english = helpLibrary(warn, dir);
  const translated = locale === "en" ? null : helpLibrary(warn, path.join(dir, locale));
  const articles: LocalizedArticle[] = english.articles.map((a) => {
    const t = translated?.bySlug.get(a.slug);
    return t ? { ...t, order: a.order, related: a.related, lang: locale } : { ...a, lang: "en" };
  });
  return { articles, bySlug: new Map(articles.map((a) => [a.slug, a])) };
}

/**
 * Fills the placeholders an article's text may use, so operators need not write the address in:
 * {{site}} is APP_ORIGIN and {{app}} is APP_NAME (text only: not inside a link's address).
 */
export function fillPlaceholders(html: string, values: { site: string; app: string }): string {
  return html.replaceAll("{{site}}", escapeHtml(values.site)).replaceAll("{{app}}", escapeHtml(values.app));
}

/**
 * Text as search compares it: lower case and without accents or other marks, so "telefono" finds
 * "teléfono" and an Arabic word typed without its vowel marks finds the marked one.
 */
export function fold(text: string): string {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}+/gu, "");
}

/** The words of a query: folded (see fold), letters and digits, at most 10, each at least one character. */
export function queryWords(q: string): string[] {
  const words = fold(q.slice(0, 200)).match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, 10);
}

/**
 * Articles in which every word appears (title, summary or body, any case), ranked: more words in the
 * title first, then more in the summary, then the list order.
 */
export function searchArticles(library: HelpLibrary, q: string): HelpArticle[] {
  const words = queryWords(q);
  if (words.length === 0) return [];
  const hits = library.articles
    .filter((a) => words.every((w) => a.search.title.includes(w) || a.search.summary.includes(w) || a.search.body.includes(w)))
    .map((a, index) => ({
      a,
      index,
      title: words.filter((w) => a.search.title.includes(w)).length,
      summary: words.filter((w) => a.search.summary.includes(w)).length,
    }));
  hits.sort((x, y) => y.title - x.title || y.summary - x.summary || x.index - y.index);
  return hits.map((h) => h.a);
}
