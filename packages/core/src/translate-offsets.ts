import { DefaultReplicationPolicy } from './default-replication-policy.js';
import type { TimedCheckpoint } from './mm2-topic-readers.js';
import type { Checkpoint } from './records.js';
import type { ReplicationPolicy } from './replication-policy.js';

/** A group's latest checkpoint for one partition: where it resumes on the target, and from what. */
export interface GroupCheckpoint {
  /** The topic on the target cluster (`us-east.orders`). */
  readonly topic: string;
  readonly partition: number;
  /** The topic on the source cluster (`orders`); the target topic itself if the policy names no source. */
  readonly sourceTopic: string;
  /** The group's committed offset on the source when the checkpoint was taken. */
  readonly sourceOffset: bigint;
  /** Where the group resumes on the target without skipping anything: the checkpoint's downstream offset. */
  readonly targetOffset: bigint;
  /** The metadata of the group's commit on the source, as MM2 copied it. */
  readonly metadata: string;
  /** The checkpoint record's timestamp (ms since the epoch); null when the input carried none. */
  readonly writtenAtMs: number | null;
}

/** Options of {@link translateOffsets}. */
export interface TranslateOffsetsOptions {
  /** The consumer group whose checkpoints are wanted. */
  readonly group: string;
  /** Names the source topics. Default: the DefaultReplicationPolicy, as in MM2. */
  readonly policy?: ReplicationPolicy;
}

/**
 * The latest checkpoint per (topic, partition) of `group` — the same answer as MM2's
 * `RemoteClusterUtils.translateOffsets`, which reads the checkpoints topic in order and keeps the
 * last checkpoint it sees for each partition of the group. `checkpoints` must be in topic order
 * (per partition of the checkpoints topic); records read with their timestamps
 * ({@link TimedCheckpoint}) keep them as `writtenAtMs`. Sorted by topic, then partition.
 */
export function translateOffsets(
  checkpoints: Iterable<TimedCheckpoint>,
  options: TranslateOffsetsOptions,
): (GroupCheckpoint & { readonly writtenAtMs: number })[];
export function translateOffsets(
  checkpoints: Iterable<Checkpoint | TimedCheckpoint>,
  options: TranslateOffsetsOptions,
): GroupCheckpoint[];
export function translateOffsets(
  checkpoints: Iterable<Checkpoint | TimedCheckpoint>,
  options: TranslateOffsetsOptions,
): GroupCheckpoint[] {
  const policy = options.policy ?? new DefaultReplicationPolicy();
  const latest = new Map<string, GroupCheckpoint>();
  for (const item of checkpoints) {
    const timed = 'checkpoint' in item;
    const c = timed ? item.checkpoint : item;
    if (c.consumerGroupId !== options.group) continue;
    latest.set(`${c.topic}\u0000${c.partition}`, {
      topic: c.topic,
      partition: c.partition,
      sourceTopic: policy.upstreamTopic(c.topic) ?? c.topic,
      sourceOffset: c.upstreamOffset,
      targetOffset: c.downstreamOffset,
      metadata: c.metadata,
      writtenAtMs: timed ? item.writtenAtMs : null,
    });
  }
  return [...latest.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}
