import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { allowedHref, fillPlaceholders, helpLibrary, loadHelpLibrary, parseArticle, queryWords, searchArticles } from "~/help/articles.server";

/**
 * The help centre's articles (issue 15, "Help centre"): Markdown files with front matter, read from a
 * folder; bad files are skipped with one log line; search needs every word and ranks title hits
 * first; an article can never carry HTML, script or a javascript: link.
 */

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "help-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const article = (front: string, body = "Some words.") => `---\n${front}\n---\n${body}\n`;
function collect() {
  const lines: { details: Record<string, unknown>; message: string }[] = [];
  return { lines, warn: (details: Record<string, unknown>, message: string) => void lines.push({ details, message }) };
}

describe("loading", () => {
  test("front matter gives title, summary, order and related; the list is by order then title", () => {
    const dir = folder({
      "b-second.md": article("title: Second\nsummary: The second one.\norder: 20\nrelated: [a-first, nowhere]"),
      "a-first.md": article("title: First\norder: 10"),
      "c-same-order.md": article("title: Also second\norder: 20"),
      "notes.txt": "not an article",
    });
    const { lines, warn } = collect();
    const lib = loadHelpLibrary(dir, warn);
    expect(lib.articles.map((a) => a.slug)).toEqual(["a-first", "c-same-order", "b-second"]);
    const second = lib.bySlug.get("b-second")!;
    expect(second.title).toBe("Second");
    expect(second.summary).toBe("The second one.");
    expect(second.order).toBe(20);
    // A related slug without an article is dropped rather than shown as a broken link.
    expect(second.related).toEqual(["a-first"]);
    expect(lib.bySlug.get("a-first")!.summary).toBe("");
    expect(lines).toEqual([]);
  });

  test("a malformed article is skipped with one log line, and the others still load", () => {
    const dir = folder({
      "good.md": article("title: Good"),
      "no-title.md": article("summary: Nothing else"),
      "bad-yaml.md": "---\ntitle: [unclosed\n---\nbody",
      "bad-order.md": article("title: X\norder: soon"),
      "Bad_Name.md": article("title: Capitals"),
      "script-front.md": "---js\n{ title: (() => { globalThis.helpPwned = true; return 'x'; })() }\n---\nbody",
    });
    const { lines, warn } = collect();
    const lib = loadHelpLibrary(dir, warn);
    expect(lib.articles.map((a) => a.slug)).toEqual(["good"]);
    expect(lines.map((l) => l.details.file).sort()).toEqual(["Bad_Name.md", "bad-order.md", "bad-yaml.md", "no-title.md", "script-front.md"]);
    expect(lines.every((l) => l.message === "help centre: article skipped")).toBe(true);
    expect(String(lines.find((l) => l.details.file === "no-title.md")!.details.reason)).toMatch(/title/);
    // JavaScript front matter is refused, never run.
    expect((globalThis as Record<string, unknown>).helpPwned).toBeUndefined();
  });

  test("a missing folder gives an empty help centre and one log line", () => {
    const { lines, warn } = collect();
    expect(loadHelpLibrary(path.join(os.tmpdir(), "no-such-help-folder-" + process.pid), warn).articles).toEqual([]);
    expect(lines).toHaveLength(1);
  });

  test("the folder is read again when a file is added or changed, not otherwise", () => {
    const dir = folder({ "one.md": article("title: One") });
    const { lines, warn } = collect();
    const first = helpLibrary(warn, dir);
    expect(helpLibrary(warn, dir)).toBe(first);
    fs.writeFileSync(path.join(dir, "two.md"), article("title: Two"));
    expect(helpLibrary(warn, dir).articles.map((a) => a.title)).toEqual(["One", "Two"]);
    fs.writeFileSync(path.join(dir, "one.md"), article("title: One, edited"));
    // Same size or not, a new modification time is a change.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, "one.md"), later, later);
    expect(helpLibrary(warn, dir).bySlug.get("one")!.title).toBe("One, edited");
    fs.writeFileSync(path.join(dir, "broken.md"), "no front matter");
    expect(helpLibrary(warn, dir).articles).toHaveLength(2);
    expect(lines).toHaveLength(1);
  });

  test("every shipped article in content/help loads, with a summary and related articles that exist", () => {
    const { lines, warn } = collect();
    const lib = loadHelpLibrary(path.resolve(import.meta.dirname, "../../content/help"), warn);
    expect(lines).toEqual([]);
    expect(lib.articles.length).toBeGreaterThanOrEqual(12);
    for (const a of lib.articles) {
      expect(a.summary, a.slug).not.toBe("");
      expect(a.related.length, a.slug).toBeGreaterThan(0);
      // Local links in articles point at real pages of the help centre.
      for (const m of a.html.matchAll(/href="\/help\/([^"#?]+)"/g)) expect(lib.bySlug.has(m[1]), `${a.slug} links /help/${m[1]}`).toBe(true);
    }
  });
});

describe("search", () => {
  const lib = () =>
    loadHelpLibrary(
      folder({
        "body-only.md": article("title: Codes\norder: 1", "If you lost your authenticator, use a recovery code."),
        "summary-hit.md": article("title: Phones\nsummary: Lost phone with an authenticator app\norder: 2"),
        "title-hit.md": article("title: I lost my Authenticator app\norder: 3", "Use a recovery code."),
        "unrelated.md": article("title: Passkeys\norder: 0", "Fingerprint or face."),
      }),
      () => {},
    );

  test("case-insensitive over title, summary and body; every word must match; title hits first", () => {
    expect(searchArticles(lib(), "AUTHENTICATOR").map((a) => a.slug)).toEqual(["title-hit", "summary-hit", "body-only"]);
    expect(searchArticles(lib(), "lost authenticator recovery").map((a) => a.slug)).toEqual(["title-hit", "body-only"]);
    expect(searchArticles(lib(), "authenticator fingerprint")).toEqual([]);
    expect(searchArticles(lib(), "   ")).toEqual([]);
  });

  test("query words: letters and digits only, lower case, at most ten", () => {
    expect(queryWords("Lost <phone>, lost 2FA!")).toEqual(["lost", "phone", "2fa"]);
    expect(queryWords("a b c d e f g h i j k l")).toHaveLength(10);
  });
});

describe("markdown safety", () => {
  const html = (body: string) => parseArticle("x", article("title: X", body)).html;

  test("raw HTML in an article is shown as text, never as markup", () => {
    const out = html('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\nText <b>bold</b>');
    expect(out).not.toMatch(/<script|<img|<b>/i);
    expect(out).toContain("&lt;script&gt;");
  });

  test("only http(s), mailto and relative links become links; external ones get rel=noopener noreferrer", () => {
    const out = html(
      "[a](javascript:alert(1)) [b](JAVASCRIPT:alert(1)) [c](data:text/html,x) [d](vbscript:x) [e](//evil.example/x) [f](file:///etc/passwd)\n\n" +
        "[ok1](https://example.org/page) [ok2](mailto:help@example.org) [ok3](/help/other) [ok4](#top)",
    );
    expect(out).not.toMatch(/href="(javascript|data|vbscript|file):/i);
    expect(out).not.toMatch(/href="\/\//);
    expect(out).toContain('<a href="https://example.org/page" rel="noopener noreferrer">ok1</a>');
    expect(out).toContain('<a href="mailto:help@example.org">ok2</a>');
    expect(out).toContain('<a href="/help/other">ok3</a>');
    expect(out).toContain('<a href="#top">ok4</a>');
    for (const bad of ["javascript:alert(1)", " JavaScript:x", "java\tscript:x", "//evil.example", "\\\\evil", "data:x"]) expect(allowedHref(bad), bad).toBe(false);
  });

  test("headings in the body start at h2 (the title is the page's h1)", () => {
    expect(html("# Top\n\n## Next")).toBe("<h2>Top</h2>\n<h2>Next</h2>\n");
  });

  test("placeholders are filled with escaped values", () => {
    expect(fillPlaceholders("<p>Go to {{site}} for {{app}}</p>", { site: "https://portal.example", app: "A&B <Bank>" })).toBe(
      "<p>Go to https://portal.example for A&amp;B &lt;Bank&gt;</p>",
    );
  });
});
