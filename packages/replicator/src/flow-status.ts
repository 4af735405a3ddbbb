/**
 * What a flow says about itself to `/healthz`, `/metrics` and `Replicator.health()`: the one
 * shape the HTTP server reads, so that the copy loop and the server never share internals.
 */

/** A source partition the copy loop stopped on (`errors.tolerance = none`): one record it can never write. */
export interface StoppedPartition {
  /** Source topic. */
  readonly topic: string;
  readonly partition: number;
  /** Offset of the record that could not be written, as a decimal string. */
  readonly offset: string;
  /** The error's code (a Kafka error type such as `INVALID_TIMESTAMP`, or a MirrorKit code). */
  readonly code: string;
  /** The error's message; never a record's key, value or a secret. */
  readonly error: string;
  /** When it stopped (ms since the epoch). */
  readonly since: number;
}

/** State of one flow `source->target`. */
export interface FlowStatus {
  /** `source->target`. */
  readonly flow: string;
  /** Joined its group and synced its topics once. */
  readonly ready: boolean;
  /**
   * `running`: the copy loop runs; `restarting`: its consumer or producer crashed and is being
   * restarted with backoff; `starting`: not started yet (or a start failed and is retried).
   */
  readonly state: 'starting' | 'running' | 'restarting';
  /** Since when the copy loop has not been running (ms since the epoch); null while it runs. */
  readonly downSince: number | null;
  /** The last error of any step, cleared by the next success; null when healthy. */
  readonly lastError: string | null;
  /** Partitions stopped on a record that can never be written (`errors.tolerance = none`). */
  readonly stoppedPartitions: readonly StoppedPartition[];
  /** Records skipped under `errors.tolerance = all` since start. */
  readonly skippedRecords: number;
  /** Source topics replicated now. */
  readonly topics: readonly string[];
}
