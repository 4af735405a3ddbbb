/**
 * The timers of one flow: one-shot and periodic work that stops with the flow. A periodic job runs
 * again only after its previous run finished, and backs off (doubling, up to 30 s) while it fails,
 * so a cluster that is down is not hammered. Timers are removed as they fire: a job ticking every
 * second must not grow the set.
 */
export class FlowScheduler {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #onError: (what: string, error: unknown) => void;
  #stopped = false;

  constructor(onError: (what: string, error: unknown) => void) {
    this.#onError = onError;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Runs `work` once after `ms`, unless stopped first. */
  after(ms: number, work: () => Promise<void> | void): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) void work();
    }, ms);
    this.#timers.add(timer);
  }

  /** Runs `work` every `seconds` (0 or less: never); a failure is reported as step `what`. */
  every(seconds: number, what: string, work: () => Promise<void>): void {
    if (seconds <= 0) return;
    let delay = seconds * 1000;
    const tick = async (): Promise<void> => {
      try {
        await work();
        delay = seconds * 1000;
      } catch (error) {
        this.#onError(what, error);
        delay = Math.min(delay * 2, Math.max(30_000, seconds * 1000));
      }
      this.after(delay, tick);
    };
    this.after(delay, tick);
  }

  /** Pending timers, for tests: stays bounded however long a periodic job runs. */
  get pending(): number {
    return this.#timers.size;
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
