/** How a position on the target was found. */
export type PositionBasis =
  /** MM2's checkpoint of the group for a remote copy of the failed cluster's topic. */
  | 'checkpoint'
  /** Failback: the group's commit on a remote copy, mapped back through the forward flow's offset syncs. */
  | 'offset-sync'
  /** The group's own commit on the target (its own topics, third clusters' copies, MM2's group sync). */
  | 'committed'
  /**
   * The record after the one a progress record names: the group's progress, written by the
   * consumer to this cluster, fingerprinted the last record it processed, found here.
   */
  | 'progress'
  /** The record after the one the fingerprint in a checkpoint's commit metadata names, found here. */
  | 'fingerprint'
  /** Nothing usable: the partition's first record (the default rule). */
  | 'earliest'
  /** Nothing usable and the user chose `latest`: the partition's end. */
  | 'latest';

/** Where a group resumes on the target cluster, for one partition: the one position type. */
export interface FailoverPosition {
  /** The topic on the target cluster (`us-east.orders` on us-west; `orders` on a failback). */
  readonly topic: string;
  readonly partition: number;
  /** The offset to commit: the first record the group will be handed. */
  readonly offset: bigint;
  readonly basis: PositionBasis;
  /** The group's position on the cluster it leaves that this was translated from; null if none. */
  readonly sourceOffset: bigint | null;
  /**
   * At most this many records from `offset` on were already processed and will be handed again,
   * where the inputs prove a bound (offset syncs; a fingerprint found once: 0); null when nothing
   * bounds it. Counted against the group's position its basis knew of — the commit a checkpoint
   * carried, the last progress record: what the group processed after that evidence was written
   * (a checkpoint interval, a progress interval) is handed again on top, and no input can count it.
   */
  readonly replayBound: bigint | null;
}

/** What was wrong with a candidate position, and what was done about it. */
export type PositionProblemKind =
  /** Below the partition's log start (retention, deleteRecords): clamped to the log start. */
  | 'below-log-start'
  /** Past the partition's end (the remote topic was recreated, say): not used. */
  | 'above-high-watermark'
  /** Negative: not an offset. Not used. */
  | 'negative'
  /**
   * A progress record or checkpoint named the group's last record by fingerprint, and no record in
   * the searched range has it (not replicated yet, or changed on the way): the conservative
   * position stands.
   */
  | 'fingerprint-unmatched';

/** A candidate position the planner clamped or refused; every one is reported. */
export interface PositionProblem {
  readonly topic: string;
  readonly partition: number;
  readonly kind: PositionProblemKind;
  /** Where the candidate came from. */
  readonly basis: PositionBasis;
  /** The candidate offset. */
  readonly offset: bigint;
  /** Records the group had not processed that are gone from the partition (below-log-start). */
  readonly lostRecords: bigint;
  /** One line for people. */
  readonly message: string;
}

/** The answer of the failover planner. */
export interface FailoverPlan {
  /** One position per partition the group reads on the target, by topic then partition. */
  readonly positions: readonly FailoverPosition[];
  /** By topic then partition. */
  readonly problems: readonly PositionProblem[];
  /** Records the group had not processed that retention removed, over all partitions. */
  readonly lostRecords: bigint;
}
