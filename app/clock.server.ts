/**
 * The one source of "now" for every expiry decision. Tests move it through the /__test/clock hook,
 * which exists only when TEST_HOOKS=1 outside production (GEN-01).
 */
export interface Clock {
  now(): number;
}

export class SystemClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;
  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }
  /** Test hook only: shifts every later now() by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  /**
   * Test hook only: stops (or restarts) the clock, so requests made at slightly different real
   * moments see the same time (a test comparing two Retry-After values on a loaded machine).
   */
  freeze(frozen: boolean): void {
    if (frozen) this.frozenAt ??= Date.now();
    else if (this.frozenAt !== null) {
      this.offsetMs += this.frozenAt - Date.now();
      this.frozenAt = null;
    }
  }
  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = null;
  }
}
