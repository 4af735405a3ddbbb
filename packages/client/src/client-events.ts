/** One partition's position before and after translation through MM2 checkpoints. */
export interface TranslatedPosition {
  /** Topic name on the target cluster (e.g. `us-east.orders`). */
  readonly topic: string;
  readonly partition: number;
  /** The offset committed for the group on the target cluster. */
  readonly offset: bigint;
  /** Where it came from: a checkpoint, or the no-checkpoint rule (`earliest`/`latest`). */
  readonly source: 'checkpoint' | 'earliest' | 'latest';
  /** The group's offset on the failed cluster, when a checkpoint gave one. */
  readonly upstreamOffset: bigint | null;
}

/** Reported when a failover (or failback) has finished. */
export interface FailoverReport {
  readonly from: string;
  readonly to: string;
  readonly kind: 'failover' | 'failback';
  readonly reason: 'manual' | 'automatic';
  /** Wall-clock time the switch took, from stopping on `from` to consuming on `to`. */
  readonly durationMs: number;
  /** Where the time went: stopping on `from`, reading checkpoints, committing, joining on `to`. */
  readonly steps: {
    readonly stopMs: number;
    readonly translateMs: number;
    readonly commitMs: number;
    readonly resumeMs: number;
  };
  readonly positions: readonly TranslatedPosition[];
  /** Partitions of remote topics that no checkpoint covered, and what was done for them. */
  readonly partitionsWithoutCheckpoint: number;
  readonly noCheckpointRule: 'earliest' | 'latest';
  /** Checkpoint records that could not be decoded and were skipped. */
  readonly skippedCheckpointRecords: number;
  /** False when the group already had active members on `to`, so their offsets were kept. */
  readonly committed: boolean;
}

/** Health of one cluster, from a reachability probe and MM2 heartbeats. */
export interface ClusterHealth {
  readonly alias: string;
  readonly reachable: boolean;
  /** Consecutive failed probes (0 when the last probe succeeded). */
  readonly consecutiveFailures: number;
  /** Since when probes have been failing, or null. */
  readonly failingSinceMs: number | null;
  /** The last probe's error, in one line. */
  readonly lastError: string | null;
  /**
   * Age in ms of the newest MM2 heartbeat from each source alias replicated into this cluster
   * (`<source>.heartbeats`): an estimate of replication lag, i.e. of the RPO if `source` died now.
   */
  readonly heartbeatAgeMs: Readonly<Record<string, number>>;
  readonly checkedAtMs: number;
}

/** Events of a MirrorKit consumer. */
export interface ConsumerEvents {
  health: [health: ClusterHealth];
  'failover:start': [
    info: { from: string; to: string; kind: 'failover' | 'failback'; reason: 'manual' | 'automatic' },
  ];
  'offsets:translated': [info: { from: string; to: string; positions: readonly TranslatedPosition[] }];
  'failover:complete': [report: FailoverReport];
  'failback:start': [info: { from: string; to: string; reason: 'manual' | 'automatic' }];
  'failback:complete': [report: FailoverReport];
  'subscription:changed': [info: { cluster: string; added: readonly string[]; topics: readonly string[] }];
  /**
   * Something failed and is being retried. A `MirrorKitUndecodableBatchError` (from
   * `@mirrorkit/core`) names a partition held at a batch that cannot be decoded: nothing at or after
   * its offset is delivered, the other partitions go on, and it is fetched again after 30 s.
   */
  error: [error: Error];
}

/** Events of a MirrorKit producer. */
export interface ProducerEvents {
  'failover:start': [info: { from: string; to: string; queued: number }];
  'failover:complete': [info: { from: string; to: string; durationMs: number; flushed: number }];
  error: [error: Error];
}
