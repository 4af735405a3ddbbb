import type { Checkpoint } from './records.js';

/** A group's position on the target cluster, translated from a checkpoint. */
export interface TranslatedOffset {
  /** The topic name on the target cluster (e.g. `us-east.orders`). */
  readonly topic: string;
  readonly partition: number;
  /** The offset to commit on the target: the checkpoint's downstream offset. */
  readonly offset: bigint;
  /** The group's committed offset on the source when the checkpoint was taken. */
  readonly upstreamOffset: bigint;
  readonly metadata: string;
}

/**
 * The latest checkpoint per (topic, partition) of `group`, as offsets to commit on the target —
 * the same answer as MM2's `RemoteClusterUtils.translateOffsets`, which reads the checkpoints
 * topic in order and keeps the last checkpoint it sees for each partition of the group.
 * `checkpoints` must be in topic order (per partition of the checkpoints topic). Sorted by topic,
 * then partition.
 */
export function translateOffsets(
  checkpoints: Iterable<Checkpoint>,
  options: { group: string },
): TranslatedOffset[] {
  const latest = new Map<string, TranslatedOffset>();
  for (const c of checkpoints) {
    if (c.consumerGroupId !== options.group) continue;
    latest.set(`${c.topic}\u0000${c.partition}`, {
      topic: c.topic,
      partition: c.partition,
      offset: c.downstreamOffset,
      upstreamOffset: c.upstreamOffset,
      metadata: c.metadata,
    });
  }
  return [...latest.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}
