import type { FailoverPosition, PositionProblem } from '@mirrorkit/core';

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
  /**
   * Where the group resumed: every partition it reads on `to`, from core's failover planner —
   * checkpoints for the remote copies of `from`'s topics, the group's own commits on `to`'s topics
   * and third clusters' copies, else the no-position rule — then moved to the record after the
   * group's last one where a progress record or the checkpoint's metadata fingerprinted it and the
   * copy holds it (basis `progress` / `fingerprint`). Each was checked against what the partition
   * holds before it was committed; `replayBound` says the most it can hand again.
   */
  readonly positions: readonly FailoverPosition[];
  /** Partitions of `from`'s remote copies that nothing placed (no checkpoint, no progress): they start by the rule. */
  readonly partitionsWithoutCheckpoint: number;
  readonly noCheckpointRule: 'earliest' | 'latest';
  /** Positions the planner clamped (below the log start) or refused (past the end, negative). */
  readonly problems: readonly PositionProblem[];
  /** Records the group had not processed that retention had removed from the target. */
  readonly lostRecords: bigint;
  /** Checkpoint records that could not be decoded and were skipped. */
  readonly skippedCheckpointRecords: number;
  /** Progress records that could not be decoded (corrupt, another version) and were skipped. */
  readonly skippedProgressRecords: number;
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
  'offsets:translated': [info: { from: string; to: string; positions: readonly FailoverPosition[] }];
  /**
   * A failover (or failback) failed part-way. The consumer goes back to reading `from` if it
   * answers (`resumedOn: from`), else it reads nowhere until the retry (`resumedOn: null`).
   */
  'failover:failed': [
    info: {
      from: string;
      to: string;
      kind: 'failover' | 'failback';
      error: Error;
      attempt: number;
      resumedOn: string | null;
    },
  ];
  /** A failed switch is tried again in `delayMs`. */
  'failover:retry': [
    info: { from: string; to: string; kind: 'failover' | 'failback'; attempt: number; delayMs: number },
  ];
  'failover:complete': [report: FailoverReport];
  /**
   * The split-brain guard held an automatic failover: this client's probes say `from` is down, but
   * the replication path does not agree yet. The consumer stays on `from`, keeps probing, and
   * weighs the evidence again on every later probe and heartbeat reading; it fails over once
   * heartbeats from `from` have been silent on `to` for `silenceMs`, and the hold ends quietly if
   * `from` answers again. Emitted once a hold has lasted `silenceMs` (a real crash is often
   * detected before its heartbeats have been silent that long: held a moment, quietly, then gone
   * over), at once for `no-heartbeats`, and again whenever the reason changes.
   * - `heartbeats-fresh`: the newest heartbeat from `from` on `to` is younger than `silenceMs`.
   *   Right after a real crash this lasts until the silence is long enough; if it lasts, MM2
   *   still reaches `from`, and this client is the one cut off.
   * - `heartbeats-arriving`: heartbeats are old but new ones arrived during this outage
   *   (`sinceArrivalMs` ago): replication lags, it has not stopped.
   * - `no-heartbeats`: no heartbeat from `from` was ever found on `to` (MM2 does not replicate
   *   them, or they cannot be read): the guard cannot tell, so it does not move the group. Fail
   *   over by hand, or set `splitBrainGuard: false` to accept moving on this client's probes alone.
   * - `no-reading`: no read of `to`'s heartbeats has succeeded during this outage yet.
   */
  'failover:held': [
    info: {
      from: string;
      to: string;
      reason: 'heartbeats-fresh' | 'heartbeats-arriving' | 'no-heartbeats' | 'no-reading';
      heartbeatAgeMs: number | null;
      sinceArrivalMs: number | null;
      silenceMs: number;
    },
  ];
  'failback:start': [info: { from: string; to: string; reason: 'manual' | 'automatic' }];
  'failback:complete': [report: FailoverReport];
  'subscription:changed': [info: { cluster: string; added: readonly string[]; topics: readonly string[] }];
  /**
   * The run handler asked for an assignment protocol (`wanted`: a dedup handler's co-partitioned
   * assignment) but the group joined on `cluster` runs `protocol`, because not every member offers
   * `wanted` (members of an older version during a rolling deploy). Until they all do, partition p
   * of a topic and of its remote copies may go to two members: what needs them together (dedup of
   * keys sent to both regions) is not guaranteed. Emitted at each such join.
   */
  'assignment:fallback': [info: { cluster: string; wanted: string; protocol: string; memberId: string }];
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
  /** The split-brain guard held an automatic failover; as the consumer's `failover:held`. */
  'failover:held': ConsumerEvents['failover:held'];
  /** One try of a failover failed (connecting to `to`, or delivering the queue there); it is retried. */
  'failover:failed': [info: { from: string; to: string; error: Error; attempt: number }];
  /** Try `attempt` of the failover to `to` starts in `delayMs`; nothing that waits is dropped. */
  'failover:retry': [info: { from: string; to: string; attempt: number; delayMs: number }];
  error: [error: Error];
}
