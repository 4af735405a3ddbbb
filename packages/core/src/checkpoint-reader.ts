import type { Kafka } from 'kafkajs';
import { decodeCheckpoint } from './checkpoint-codec.js';
import { MirrorKitCodecError } from './codec-error.js';
import type { Checkpoint } from './records.js';
import type { ReplicationPolicy } from './replication-policy.js';
import { readTopicToEnd } from './topic-reader.js';
import { type TranslatedOffset, translateOffsets } from './translate-offsets.js';

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
  /** The group's translated offsets (latest checkpoint per partition), when a group was given. */
  readonly offsets: readonly TranslatedOffset[];
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
  const topic = options.policy.checkpointsTopic(options.sourceAlias);
  const records = await readTopicToEnd(kafka, topic, { timeoutMs: options.timeoutMs ?? 30_000 });
  const checkpoints: Checkpoint[] = [];
  const skipReasons: string[] = [];
  let skipped = 0;
  for (const record of records) {
    try {
      if (!record.key || !record.value) {
        throw new MirrorKitCodecError(
          'CODEC_NULL_FIELD',
          'checkpoint',
          record.key ? 'value' : 'key',
          'is null',
        );
      }
      checkpoints.push(decodeCheckpoint(record.key, record.value));
    } catch (error) {
      if (!(error instanceof MirrorKitCodecError)) throw error;
      skipped++;
      if (skipReasons.length < 10)
        skipReasons.push(`${topic}[${record.partition}]@${record.offset}: ${error.message}`);
    }
  }
  const offsets = options.group === undefined ? [] : translateOffsets(checkpoints, { group: options.group });
  return { topic, checkpoints, offsets, skipped, skipReasons };
}
