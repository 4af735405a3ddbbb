import type { Kafka } from 'kafkajs';
import { readCheckpointTopic } from './mm2-topic-readers.js';
import type { Checkpoint } from './records.js';
import type { ReplicationPolicy } from './replication-policy.js';
import { type GroupCheckpoint, translateOffsets } from './translate-offsets.js';

/** Options of {@link readCheckpoints}. */
export interface ReadCheckpointsOptions {
  /** The alias of the cluster the checkpoints describe (the failed cluster in a failover). */
  sourceAlias: string;
  /** The policy that names `<sourceAlias>.checkpoints.internal`. */
  policy: ReplicationPolicy;
  /** Translate this group's position; without it, `offsets` is empty. */
  group?: string;
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
}

/** What {@link readCheckpoints} found. */
export interface CheckpointReadResult {
  /** The checkpoints topic that was read. */
  readonly topic: string;
  /** Every decodable checkpoint, in topic order. */
  readonly checkpoints: readonly Checkpoint[];
  /** The group's latest checkpoint per partition, when a group was given. */
  readonly offsets: readonly (GroupCheckpoint & { readonly writtenAtMs: number })[];
  /** Records that were not checkpoints (corrupt, foreign or tombstones): skipped, not fatal. */
  readonly skipped: number;
  /** The first few skip reasons, for logs. */
  readonly skipReasons: readonly string[];
}

/**
 * Reads `<sourceAlias>.checkpoints.internal` on the cluster `kafka` points at (the target of the
 * MM2 flow) from the beginning to the end offsets taken when the call starts, and translates the
 * group's offsets. It joins no consumer group. A missing topic throws `TopicReaderError`
 * (`READER_UNKNOWN_TOPIC`): no MM2 flow from `sourceAlias` has checkpointed into this cluster.
 */
export async function readCheckpoints(
  kafka: Kafka,
  options: ReadCheckpointsOptions,
): Promise<CheckpointReadResult> {
  const { policy, group } = options;
  // The throwing read, not readCheckpointRecords: callers tell "no such flow" by the reader's error.
  const read = await readCheckpointTopic(
    kafka,
    policy.checkpointsTopic(options.sourceAlias),
    options.timeoutMs ?? 30_000,
  );
  return {
    topic: read.topic,
    checkpoints: read.checkpoints.map((c) => c.checkpoint),
    offsets: group === undefined ? [] : translateOffsets(read.checkpoints, { group, policy }),
    skipped: read.skipped,
    skipReasons: read.skipReasons,
  };
}
