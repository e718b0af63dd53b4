import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { NextFunction, Request, Response } from "express";

/**
 * Branding an operator sets without code (BRAND_LOGO_PATH, BRAND_PRIMARY_COLOR, SUPPORT_HOURS,
 * SUPPORT_CONTACT, LEGAL_URL, LEGAL_LINK_TEXT): checked once at start-up by loadConfig, then shown
 * by the pages (the root layout, /brand/logo and /brand.css served here) and the e-mails
 * (emails/brand.ts, set once per process by the delivery code).
 */

/** WCAG AA for normal text: the primary colour must reach this against white (and white on it). */
export const MIN_CONTRAST = 4.5;
/** The largest logo file accepted: it is read into memory once and sent with pages and e-mails. */
export const MAX_LOGO_BYTES = 512 * 1024;

export type BrandLogo = { contentType: "image/png" | "image/jpeg" | "image/svg+xml"; bytes: Buffer; fingerprint: string };

export type Brand = {
  logo: BrandLogo | null;
  /** `#rrggbb` (lower case), already checked against white. */
  primaryColor: string | null;
  supportHours: string | null;
  supportContact: string | null;
  legal: { url: string; text: string } | null;
};

export const NO_BRAND: Brand = { logo: null, primaryColor: null, supportHours: null, supportContact: null, legal: null };

/** `#rrggbb` → [r, g, b] (0–255), or null for anything else. */
export function parseHexColor(value: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(value.trim());
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : null;
}

/** WCAG 2.x relative luminance of an sRGB colour. */
export function relativeLuminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2.x contrast ratio between two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const ca = parseHexColor(a);
  const cb = parseHexColor(b);
  if (!ca || !cb) throw new Error(`not a #rrggbb colour: ${ca ? b : a}`);
  const [hi, lo] = [relativeLuminance(ca), relativeLuminance(cb)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The ratio as a message shows it: rounded down, so a colour just short of 4.5 never reads "4.50". */
export const showRatio = (ratio: number) => (Math.floor(ratio * 100) / 100).toFixed(2);

/** Why a primary colour is refused (one line, naming the variable), or null when it passes WCAG AA on white. */
export function primaryColorProblem(color: string): string | null {
  if (!parseHexColor(color)) return `BRAND_PRIMARY_COLOR: ${color} is not a colour such as #0b57d0 (#rrggbb)`;
  const ratio = contrastRatio(color, "#ffffff");
  if (ratio >= MIN_CONTRAST) return null;
  return `BRAND_PRIMARY_COLOR: ${color} has a contrast ratio of ${showRatio(ratio)}:1 with white, below the WCAG AA minimum of ${MIN_CONTRAST}:1 for text; choose a darker colour`;
}

const hex = ([r, g, b]: [number, number, number]) => "#" + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, "0")).join("");

/**
 * The backgrounds public/styles.css puts links on (page, footer and notice tints). The primary
 * colour passes on white by the start-up check; links use it, darkened just enough to pass on all
 * of these too, so no page loses AA because of a colour that only just passed on white.
 */
const LINK_BACKGROUNDS = ["#ffffff", "#f6f8fa", "#e9f7ef", "#fff8e5", "#fdecea"];

export function linkColorFor(color: string): string {
  const rgb = parseHexColor(color);
  if (!rgb) throw new Error(`not a #rrggbb colour: ${color}`);
  for (let k = 1; k >= 0; k -= 0.02) {
    const c = hex([rgb[0] * k, rgb[1] * k, rgb[2] * k]);
    if (LINK_BACKGROUNDS.every((bg) => contrastRatio(c, bg) >= MIN_CONTRAST)) return c;
  }
  return "#000000";
}

/** The logo's type from its first bytes; the file's extension must say the same. */
export function detectLogoType(bytes: Buffer): BrandLogo["contentType"] | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  // SVG is text: an optional BOM, XML declaration, comments or doctype, then the <svg> element.
  const head = bytes.subarray(0, 4096).toString("utf8").replace(/^\uFEFF/, "");
  const rest = head
    .replace(/^\s*<\?xml[^>]*\?>/, "")
    .replace(/^(\s*(<!--[\s\S]*?-->|<!DOCTYPE[^>]*>))*/i, "")
    .trimStart();
  if (/^<svg[\s>]/.test(rest)) return "image/svg+xml";
  return null;
}

const EXTENSIONS: Record<BrandLogo["contentType"], string[]> = {
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg"],
  "image/svg+xml": [".svg"],
};

/** Reads and checks BRAND_LOGO_PATH: the logo, or the one line that says why it is refused. */
export function readLogo(file: string): BrandLogo | string {
  const where = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(where);
  } catch {
    return `BRAND_LOGO_PATH: ${where} does not exist`;
  }
  if (!stat.isFile()) return `BRAND_LOGO_PATH: ${where} is not a file`;
  if (stat.size > MAX_LOGO_BYTES) return `BRAND_LOGO_PATH: ${where} is ${Math.ceil(stat.size / 1024)} KB; the logo may be at most ${MAX_LOGO_BYTES / 1024} KB`;
  if (stat.size === 0) return `BRAND_LOGO_PATH: ${where} is empty`;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(where);
  } catch {
    return `BRAND_LOGO_PATH: ${where} cannot be read`;
  }
  const contentType = detectLogoType(bytes);
  if (!contentType) return `BRAND_LOGO_PATH: ${where} is not a PNG, JPEG or SVG image`;
  if (!EXTENSIONS[contentType].includes(path.extname(where).toLowerCase())) {
    return `BRAND_LOGO_PATH: ${where} holds ${contentType.replace("image/", "").replace("+xml", "").toUpperCase()} data; name it ${EXTENSIONS[contentType].join(" or ")}`;
  }
  return { contentType, bytes, fingerprint: crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 12) };
}

/** The stylesheet /brand.css serves: custom properties public/styles.css reads (with today's colours as fallbacks). */
export function brandCss(color: string): string {
  return `:root { --brand-primary: ${color}; --brand-link: ${linkColorFor(color)}; }\n`;
}

const fingerprintOf = (text: string) => crypto.createHash("sha256").update(text).digest("hex").slice(0, 12);

/** What the page layout needs (plain data: it goes through the root loader to the browser). */
export type PageBrand = {
  logoUrl: string | null;
  stylesheetUrl: string | null;
  supportHours: string | null;
  supportContact: string | null;
  legal: { url: string; text: string } | null;
};

export function pageBrand(brand: Brand): PageBrand {
  return {
    logoUrl: brand.logo ? `/brand/logo?v=${brand.logo.fingerprint}` : null,
    stylesheetUrl: brand.primaryColor ? `/brand.css?v=${fingerprintOf(brandCss(brand.primaryColor))}` : null,
    supportHours: brand.supportHours,
    supportContact: brand.supportContact,
    legal: brand.legal,
  };
}

/** What the e-mails need (plain data: it crosses to the e-mail thread); see emails/brand.ts. */
export function emailBrandOf(brand: Brand, appOrigin: string) {
  return {
    logoUrl: brand.logo ? `${appOrigin}/brand/logo` : null,
    primaryColor: brand.primaryColor,
    supportHours: brand.supportHours,
    supportContact: brand.supportContact,
    legal: brand.legal,
  };
}

/**
 * GET/HEAD /brand/logo and /brand.css. A URL with the current fingerprint (?v=) may be cached for
 * good; any other (an e-mail's plain /brand/logo) for five minutes, so a new logo shows soon.
 * The logo may be loaded by e-mail clients on other origins (Cross-Origin-Resource-Policy), and
 * a direct visit to an SVG logo runs nothing (a sandboxing policy of its own).
 */
export function brandAssets(brand: Brand) {
  const css = brand.primaryColor ? brandCss(brand.primaryColor) : null;
  const cssPrint = css ? fingerprintOf(css) : null;
  const cache = (req: Request, res: Response, print: string) =>
    res.setHeader("Cache-Control", req.query.v === print ? "public, max-age=31536000, immutable" : "public, max-age=300");
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    if (req.path === "/brand/logo" && brand.logo) {
      cache(req, res, brand.logo.fingerprint);
      res.setHeader("Content-Type", brand.logo.contentType);
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'");
      res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
      res.setHeader("Content-Length", brand.logo.bytes.length);
      return res.end(req.method === "HEAD" ? undefined : brand.logo.bytes);
    }
    if (req.path === "/brand.css" && css && cssPrint) {
      cache(req, res, cssPrint);
      res.setHeader("Content-Type", "text/css; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(css));
      return res.end(req.method === "HEAD" ? undefined : css);
    }
    next();
  };
}
