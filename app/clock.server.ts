/**
 * The one source of "now" for every expiry decision. Tests move it through the /__test/clock hook,
 * which exists only when TEST_HOOKS=1 outside production (GEN-01).
 */
export interface Clock {
  now(): number;
}

export class SystemClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  /** Test hook only: shifts every later now() by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}
