/** A moment as staff and customers read it in pages and messages: "2026-11-27 09:05 UTC". */
export function utcMinute(t: number): string {
  return new Date(t).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** The same, or a dash for "never". */
export const utcMinuteOrDash = (t: number | null): string => (t ? utcMinute(t) : "—");
