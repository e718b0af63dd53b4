/**
 * Which tests name which SECURITY.md row (REQ-01 … GEN-01) or review finding (H1 … L15).
 *
 *   npx tsx scripts/security-matrix.ts            list every ID and the tests whose title names it
 *   npx tsx scripts/security-matrix.ts --update   rewrite the last column ("Proved by" / "Tests") of
 *                                                 every ID row in docs/security.md from the test titles
 *
 * Titles are read with the TypeScript parser (it/test/describe and their .each/.for/.describe/.skip…
 * forms, titles split over several lines, template literals), so the list is exact, unlike a grep.
 * The line given is the line of the title, i.e. what `grep -rn "TOK-06" tests/` shows.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(import.meta.dirname, "..");
const DOC = path.join(ROOT, "docs/security.md");
const ROW_ID = /\b(?:REQ|TOK|OTP|PWD|RL|MFA|SES|NTF|AR|EML|HDR|LOG|GEN)-\d{2}\b/g;
const FINDING_ID = /\b[HML]\d{1,2}\b/g;
const TEST_ROOTS = new Set(["it", "test", "describe", "suite"]);
const MODIFIERS = new Set(["only", "skip", "each", "for", "concurrent", "sequential", "serial", "parallel", "describe", "fixme", "fail", "todo", "skipIf", "runIf"]);

type Hit = { file: string; line: number; title: string; isDescribe: boolean };

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.(test|spec)\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** Root name and property chain of `test.describe.serial`, `it.each(rows)` etc.; null if not a test call. */
function testCallee(expr: ts.Expression): { isDescribe: boolean } | null {
  let e = expr;
  const chain: string[] = [];
  for (;;) {
    if (ts.isCallExpression(e)) e = e.expression; // it.each(rows)(…), test.for(rows)(…), it.skipIf(x)(…)
    else if (ts.isPropertyAccessExpression(e)) {
      chain.unshift(e.name.text);
      e = e.expression;
    } else break;
  }
  if (!ts.isIdentifier(e) || !TEST_ROOTS.has(e.text)) return null;
  if (!chain.every((c) => MODIFIERS.has(c))) return null; // test.step, test.beforeAll, test.use …
  return { isDescribe: e.text === "describe" || e.text === "suite" || chain.includes("describe") };
}

function titleText(node: ts.Expression, sf: ts.SourceFile): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.getText(sf).slice(1, -1);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const l = titleText(node.left, sf);
    const r = titleText(node.right, sf);
    return l !== null && r !== null ? l + r : null;
  }
  if (ts.isParenthesizedExpression(node)) return titleText(node.expression, sf);
  return null;
}

export function collect(): Hit[] {
  const hits: Hit[] = [];
  for (const file of files(path.join(ROOT, "tests")).sort()) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && node.arguments.length > 0) {
        const callee = testCallee(node.expression);
        const title = callee ? titleText(node.arguments[0], sf) : null;
        if (callee && title !== null) {
          const line = sf.getLineAndCharacterOfPosition(node.arguments[0].getStart(sf)).line + 1;
          hits.push({ file: path.relative(ROOT, file), line, title: title.replace(/\s+/g, " ").trim(), isDescribe: callee.isDescribe });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return hits;
}

export function byId(hits: Hit[]): Map<string, Hit[]> {
  const map = new Map<string, Hit[]>();
  for (const h of hits) {
    const ids = new Set([...(h.title.match(ROW_ID) ?? []), ...(h.title.match(FINDING_ID) ?? [])]);
    for (const id of ids) map.set(id, [...(map.get(id) ?? []), h]);
  }
  return map;
}

/** A title as Markdown table text: no cell breaks, no stray HTML tags or emphasis. */
const escape = (title: string) => title.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\*/g, "\\*");

const cell = (list: Hit[] | undefined) =>
  list?.length
    ? list
        .map((h) => `${h.file}:${h.line}${h.isDescribe ? " (describe)" : ""} "${escape(h.title)}"`)
        .join("<br>")
    : "**no named test**";

function update() {
  const map = byId(collect());
  const lines = fs.readFileSync(DOC, "utf8").split("\n");
  const rowStart = /^\|\s*((?:REQ|TOK|OTP|PWD|RL|MFA|SES|NTF|AR|EML|HDR|LOG|GEN)-\d{2}|[HML]\d{1,2})\s*\|/;
  let changed = 0;
  const out = lines.map((line) => {
    const m = rowStart.exec(line);
    if (!m) return line;
    // The generated column is always the last one; "\|" inside a cell is not a separator.
    const cut = line.replace(/\\\|/g, "\0\0").replace(/\|\s*$/, "").lastIndexOf("|");
    const next = `${line.slice(0, cut)}| ${cell(map.get(m[1]))} |`;
    if (next !== line) changed++;
    return next;
  });
  fs.writeFileSync(DOC, out.join("\n"));
  const inDoc = new Set(lines.map((l) => rowStart.exec(l)?.[1]).filter(Boolean));
  const missing = [...inDoc].filter((id) => !map.has(id as string));
  console.log(`${changed} rows updated; IDs with no named test: ${missing.join(", ") || "none"}`);
  const unknown = [...map.keys()].filter((id) => !inDoc.has(id));
  if (unknown.length) console.log(`IDs named in test titles but absent from the document: ${unknown.join(", ")}`);
}

if (process.argv.includes("--update")) update();
else for (const [id, list] of [...byId(collect())].sort(([a], [b]) => a.localeCompare(b))) console.log(`${id}\n  ${cell(list).split("<br>").join("\n  ")}`);
