/** What every example's run returns, whatever else it measured. */

/** One thing an example verified. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
}

/** The part of a run's result every example has: its checks, the verdict and how long it took. */
export interface ExampleResult {
  /** True when every check passed. */
  readonly passed: boolean;
  readonly checks: readonly Check[];
  /** From the start of the run to the result, teardown excluded. */
  readonly elapsedMs: number;
}
