import type { Kafka } from 'kafkajs';
import { decodeCheckpoint } from './checkpoint-codec.js';
import { type CodecRecordKind, MirrorKitCodecError } from './codec-error.js';
import { decodeHeartbeat } from './heartbeat-codec.js';
import { decodeOffsetSync } from './offset-sync-codec.js';
import type { Checkpoint, OffsetSync } from './records.js';
import type { ReplicationPolicy } from './replication-policy.js';
import { type ReadRecord, readTopicToEnd, TopicReaderError } from './topic-reader.js';
import { type GroupCheckpoint, translateOffsets } from './translate-offsets.js';

/** A checkpoint with the time MM2 (or the sidecar) wrote it. */
export interface TimedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The checkpoint record's timestamp (ms since the epoch). */
  readonly writtenAtMs: number;
}

/** What a read of `<source>.checkpoints.internal` found. */
export interface CheckpointRecords {
  readonly topic: string;
  /** Decodable checkpoints in topic order (per partition of the checkpoints topic). */
  readonly checkpoints: readonly TimedCheckpoint[];
  /** Records that were not checkpoints (corrupt, foreign or tombstones): skipped, never fatal. */
  readonly skipped: number;
  /** The first few skip reasons, for logs. */
  readonly skipReasons: readonly string[];
}

/**
 * The latest checkpoint of `group` per (topic, partition) of a read of the checkpoints topic:
 * {@link translateOffsets} over timed records, so every answer has its `writtenAtMs`.
 */
export function latestGroupCheckpoints(
  records: readonly TimedCheckpoint[],
  group: string,
  policy: ReplicationPolicy,
): (GroupCheckpoint & { readonly writtenAtMs: number })[] {
  return translateOffsets(records, { group, policy });
}

/** Per group: how many partitions are checkpointed and when the newest checkpoint was written. */
export interface GroupCheckpointSummary {
  readonly group: string;
  readonly partitions: number;
  readonly newestMs: number;
}

/** Summarises every group that has checkpoints, sorted by group. */
export function summarizeCheckpointGroups(records: readonly TimedCheckpoint[]): GroupCheckpointSummary[] {
  const groups = new Map<string, { partitions: Set<string>; newestMs: number }>();
  for (const { checkpoint: c, writtenAtMs } of records) {
    const entry = groups.get(c.consumerGroupId) ?? { partitions: new Set<string>(), newestMs: 0 };
    entry.partitions.add(`${c.topic}\u0000${c.partition}`);
    entry.newestMs = Math.max(entry.newestMs, writtenAtMs);
    groups.set(c.consumerGroupId, entry);
  }
  return [...groups]
    .map(([group, e]) => ({ group, partitions: e.partitions.size, newestMs: e.newestMs }))
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}

/** Keeps the first few skip reasons: enough to diagnose, bounded for a topic full of junk. */
const SKIP_REASONS = 10;

/** Decodes `records` with `decode`; records it refuses are counted and skipped, never fatal. */
export function decodeAll<T>(
  records: readonly ReadRecord[],
  kind: CodecRecordKind,
  decode: (key: Buffer, value: Buffer) => T,
): {
  decoded: { value: T; record: ReadRecord }[];
  skipped: number;
  skipReasons: string[];
} {
  const decoded: { value: T; record: ReadRecord }[] = [];
  const skipReasons: string[] = [];
  let skipped = 0;
  for (const record of records) {
    try {
      if (!record.key || !record.value)
        throw new MirrorKitCodecError('CODEC_NULL_FIELD', kind, record.key ? 'value' : 'key', 'is null');
      decoded.push({ value: decode(record.key, record.value), record });
    } catch (error) {
      if (!(error instanceof MirrorKitCodecError)) throw error;
      skipped++;
      if (skipReasons.length < SKIP_REASONS)
        skipReasons.push(`${record.topic}[${record.partition}]@${record.offset}: ${error.message}`);
    }
  }
  return { decoded, skipped, skipReasons };
}

/**
 * Reads `topic` (a checkpoints topic) to its end offsets at the start of the call. A missing topic
 * throws `TopicReaderError` (`READER_UNKNOWN_TOPIC`) as {@link readTopicToEnd} raised it.
 */
export async function readCheckpointTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
): Promise<CheckpointRecords> {
  const records = await readTopicToEnd(kafka, topic, { timeoutMs });
  const { decoded, skipped, skipReasons } = decodeAll(records, 'checkpoint', decodeCheckpoint);
  return {
    topic,
    checkpoints: decoded.map(({ value, record }) => ({
      checkpoint: value,
      writtenAtMs: Number(record.timestamp),
    })),
    skipped,
    skipReasons,
  };
}

/** Null for a missing topic: for the readers whose callers treat "no such flow" as an answer. */
export async function unlessUnknownTopic<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof TopicReaderError && error.code === 'READER_UNKNOWN_TOPIC') return null;
    throw error;
  }
}

/**
 * Reads `<source>.checkpoints.internal` on the cluster `kafka` points at, to its end offsets at the
 * start of the call. Null when the topic does not exist (no flow from `source` checkpoints there).
 */
export function readCheckpointRecords(
  kafka: Kafka,
  policy: ReplicationPolicy,
  source: string,
  timeoutMs: number,
): Promise<CheckpointRecords | null> {
  return unlessUnknownTopic(() => readCheckpointTopic(kafka, policy.checkpointsTopic(source), timeoutMs));
}

/**
 * Reads MM2's offset syncs for the flow into `target` (`mm2-offset-syncs.<target>.internal`, kept
 * on the source cluster `kafka` points at). Null when the topic does not exist.
 */
export async function readOffsetSyncs(
  kafka: Kafka,
  policy: ReplicationPolicy,
  target: string,
  timeoutMs: number,
): Promise<OffsetSync[] | null> {
  const records = await unlessUnknownTopic(() =>
    readTopicToEnd(kafka, policy.offsetSyncsTopic(target), { timeoutMs }),
  );
  return records === null
    ? null
    : decodeAll(records, 'offset-sync', decodeOffsetSync).decoded.map((d) => d.value);
}

/**
 * The timestamp of the newest heartbeat that MM2 wrote into cluster `source` and replicated into
 * `topic` (the remote heartbeats topic, e.g. `us-east.heartbeats`), reading only the last 20
 * records of each partition. Null when the topic is absent or holds no such heartbeat.
 */
export async function newestHeartbeat(kafka: Kafka, topic: string, source: string): Promise<bigint | null> {
  const admin = kafka.admin();
  await admin.connect();
  let starts: Map<number, bigint>;
  try {
    // An absent topic (no flow from `source`) is an answer, not something to retry for seconds.
    if (!(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    starts = new Map(offsets.map((p) => [p.partition, BigInt(p.high) > 20n ? BigInt(p.high) - 20n : 0n]));
  } finally {
    await admin.disconnect();
  }
  let newest: bigint | null = null;
  for (const record of await readTopicToEnd(kafka, topic, { startOffsets: starts, timeoutMs: 5000 })) {
    if (!record.key || !record.value) continue;
    try {
      const beat = decodeHeartbeat(record.key, record.value);
      // MM2 emits heartbeats *into* every cluster (for every pair, even disabled ones), and the
      // source flow copies that cluster's `heartbeats` downstream. So a heartbeat in
      // `us-east.heartbeats` whose target is us-east has travelled the us-east data path: its age is
      // the replication lag. Its source alias is whichever cluster MM2 emitted it for.
      if (beat.targetClusterAlias === source && (newest === null || beat.timestamp > newest))
        newest = beat.timestamp;
    } catch (error) {
      if (!(error instanceof MirrorKitCodecError)) throw error;
    }
  }
  return newest;
}
