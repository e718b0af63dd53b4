/** The part of html-to-text (a dependency of @react-email/render, which ships no types) used here. */
declare module "html-to-text" {
  export function compile(options?: Record<string, unknown>): (html: string) => string;
}
