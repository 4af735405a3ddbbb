import type { OffsetSync, ProgressRecord } from '../records.js';
import type { ReplicationPolicy } from '../replication-policy.js';
import type { FailoverPlan, FailoverPosition, PositionBasis, PositionProblem } from './failover-position.js';
import { proveBack } from './offset-sync-math.js';

/** A partition of the target cluster that the group will read, with what it holds. */
export interface PartitionBounds {
  readonly topic: string;
  readonly partition: number;
  /** First offset still in the log. */
  readonly logStart: bigint;
  /** The offset the next record will get. */
  readonly highWatermark: bigint;
}

/** An offset of a topic partition (a commit, or a checkpoint's downstream offset). */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** What the planner decides from; gathering it is the caller's I/O. */
export interface FailoverPlanInput {
  /** The cluster the group leaves (the failed one in a failover). */
  readonly from: string;
  /** The cluster the group moves to. */
  readonly to: string;
  readonly policy: ReplicationPolicy;
  /** Every partition the group will read on `to`: remote copies, `to`'s own topics, third clusters' copies. */
  readonly partitions: readonly PartitionBounds[];
  /**
   * The group's latest checkpoint per remote partition on `to` (`<from>.checkpoints.internal`),
   * with the commit metadata MM2 copied (where a fingerprint may ride).
   */
  readonly checkpoints: readonly (PartitionOffset & {
    readonly upstreamOffset: bigint;
    readonly metadata?: string;
  })[];
  /**
   * The group's latest progress records on `to` (`mirrorkit-progress.internal`), one per partition
   * it read on `from`; records of other clusters are ignored. Used by {@link fingerprintSearches}.
   */
  readonly progress?: readonly ProgressRecord[];
  /** The group's committed offsets on `to`. */
  readonly committed: readonly PartitionOffset[];
  /**
   * Failback: the group's commits on `from` of remote copies of `to`'s own topics
   * (`us-east.orders` on us-west for `orders` on us-east)…
   */
  readonly committedOnFrom?: readonly PartitionOffset[];
  /** …and the forward flow's offset syncs (`to`'s topics → their copies on `from`), in topic order. */
  readonly offsetSyncs?: readonly OffsetSync[];
  /** Where a partition with no usable position starts. Default `earliest`: nothing is skipped. */
  readonly noPosition?: 'earliest' | 'latest';
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The one failover rule, for the client (failover and failback) and the CLI alike: a position for
 * every partition the group will read on the target, each checked against what the partition
 * holds before anyone commits it. Per partition, the first usable of: the group's checkpoint;
 * on failback, its commit on the copy it read, mapped back through offset syncs (never past a record
 * it has not processed); its own commit on the target; else the partition's beginning (or end,
 * if the caller chose `latest`). A candidate below the log start is clamped to it and the records
 * lost to retention are counted; one past the end or negative is refused (a refused checkpoint
 * falls to the no-position rule). Every clamp and refusal is reported. Pure: no I/O.
 */
export function planFailover(input: FailoverPlanInput): FailoverPlan {
  const rule = input.noPosition ?? 'earliest';
  const checkpoints = new Map(input.checkpoints.map((c) => [keyOf(c.topic, c.partition), c]));
  const committed = new Map(input.committed.map((c) => [keyOf(c.topic, c.partition), c.offset]));
  const syncs = new Map<string, OffsetSync[]>();
  for (const s of input.offsetSyncs ?? []) {
    const list = syncs.get(keyOf(s.topic, s.partition)) ?? [];
    list.push(s);
    syncs.set(keyOf(s.topic, s.partition), list);
  }
  // The group's commit on a copy of `to`'s topic on `from`, filed under the original topic.
  const readAsCopy = new Map<string, bigint>();
  for (const c of input.committedOnFrom ?? []) {
    if (input.policy.topicSource(c.topic) !== input.to) continue;
    const original = input.policy.upstreamTopic(c.topic);
    if (original !== null) readAsCopy.set(keyOf(original, c.partition), c.offset);
  }

  const positions: FailoverPosition[] = [];
  const problems: PositionProblem[] = [];
  let lostRecords = 0n;
  for (const bounds of input.partitions) {
    const key = keyOf(bounds.topic, bounds.partition);
    // Checks a candidate; returns the position to use, or undefined when it must not be used.
    const accept = (
      basis: PositionBasis,
      offset: bigint,
      sourceOffset: bigint | null,
      replayBound: bigint | null,
    ): FailoverPosition | undefined => {
      const at = `${bounds.topic}[${bounds.partition}]`;
      if (offset < 0n || offset > bounds.highWatermark) {
        const kind = offset < 0n ? 'negative' : 'above-high-watermark';
        problems.push({
          topic: bounds.topic,
          partition: bounds.partition,
          kind,
          basis,
          offset,
          lostRecords: 0n,
          message:
            kind === 'negative'
              ? `${at}: the ${basis} offset ${offset} is negative; not used`
              : `${at}: the ${basis} offset ${offset} is past the partition's end (${bounds.highWatermark}); not used`,
        });
        return undefined;
      }
      if (offset < bounds.logStart) {
        const lost = bounds.logStart - offset;
        lostRecords += lost;
        problems.push({
          topic: bounds.topic,
          partition: bounds.partition,
          kind: 'below-log-start',
          basis,
          offset,
          lostRecords: lost,
          message: `${at}: the ${basis} offset ${offset} is below the log start ${bounds.logStart}: ${lost} record(s) the group had not processed are gone; resuming at ${bounds.logStart}`,
        });
        return {
          topic: bounds.topic,
          partition: bounds.partition,
          offset: bounds.logStart,
          basis,
          sourceOffset,
          replayBound,
        };
      }
      return { topic: bounds.topic, partition: bounds.partition, offset, basis, sourceOffset, replayBound };
    };
    const fallback = (): FailoverPosition => ({
      topic: bounds.topic,
      partition: bounds.partition,
      offset: rule === 'earliest' ? bounds.logStart : bounds.highWatermark,
      basis: rule,
      sourceOffset: null,
      replayBound: null,
    });

    const checkpoint = checkpoints.get(key);
    if (checkpoint) {
      positions.push(accept('checkpoint', checkpoint.offset, checkpoint.upstreamOffset, null) ?? fallback());
      continue;
    }
    const copyOffset = readAsCopy.get(key);
    if (copyOffset !== undefined) {
      const proof = proveBack(syncs.get(key) ?? [], copyOffset);
      if (proof) {
        const back = proof.offset;
        // The copy's records between the proving sync and the group's commit there were processed
        // and lie after the position: the most that is handed again.
        const replay =
          copyOffset - proof.sync.downstreamOffset - (back > proof.sync.upstreamOffset ? 1n : 0n);
        const position = accept('offset-sync', back, copyOffset, replay > 0n ? replay : 0n);
        if (position) {
          positions.push(position);
          continue;
        }
      }
    }
    const own = committed.get(key);
    const position = own === undefined ? undefined : accept('committed', own, null, null);
    positions.push(position ?? fallback());
  }
  const byPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
  return { positions: positions.sort(byPartition), problems: problems.sort(byPartition), lostRecords };
}
