/** First delay before restarting a crashed copy loop, ms. */
export const RESTART_BACKOFF_MIN_MS = 1000;
/** Longest delay between restarts, ms. */
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A loop that ran this long without crashing starts again from the first delay, ms. */
export const RESTART_HEALTHY_MS = 60_000;

/**
 * Delays between restarts of a crashed copy loop: doubling from 1 s up to 30 s, and back to 1 s
 * once the loop stayed healthy for a while. Pure: the caller passes the clock.
 */
export class RestartBackoff {
  #next = RESTART_BACKOFF_MIN_MS;
  #healthySince: number | null = null;

  /** The loop runs again (from `now`). */
  healthy(now: number): void {
    this.#healthySince = now;
  }

  /** The loop crashed at `now`: how long to wait before the next restart. */
  crashed(now: number): number {
    if (this.#healthySince !== null && now - this.#healthySince >= RESTART_HEALTHY_MS)
      this.#next = RESTART_BACKOFF_MIN_MS;
    this.#healthySince = null;
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, RESTART_BACKOFF_MAX_MS);
    return delay;
  }
}
