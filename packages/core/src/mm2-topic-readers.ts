import type { Kafka } from 'kafkajs';
import { decodeCheckpoint } from './checkpoint-codec.js';
import { MirrorKitCodecError } from './codec-error.js';
import { decodeHeartbeat } from './heartbeat-codec.js';
import { decodeOffsetSync } from './offset-sync-codec.js';
import type { Checkpoint, OffsetSync } from './records.js';
import type { ReplicationPolicy } from './replication-policy.js';
import { type ReadRecord, readTopicToEnd, TopicReaderError } from './topic-reader.js';

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
  /** Records that were not checkpoints: skipped, never fatal. */
  readonly skipped: number;
}

/** One partition of a group's translated position. */
export interface GroupCheckpoint {
  /** The topic on the target cluster (`us-east.orders`). */
  readonly topic: string;
  readonly partition: number;
  /** The topic on the source cluster (`orders`). */
  readonly sourceTopic: string;
  /** The group's committed offset on the source when the checkpoint was taken. */
  readonly sourceOffset: bigint;
  /** Where the group resumes on the target without skipping anything. */
  readonly targetOffset: bigint;
  readonly writtenAtMs: number;
}

/**
 * The latest checkpoint of `group` per (topic, partition), the way MM2's
 * `RemoteClusterUtils.translateOffsets` picks it: the last one in topic order wins. Sorted by topic
 * then partition.
 */
export function latestGroupCheckpoints(
  records: readonly TimedCheckpoint[],
  group: string,
  policy: ReplicationPolicy,
): GroupCheckpoint[] {
  const latest = new Map<string, GroupCheckpoint>();
  for (const { checkpoint: c, writtenAtMs } of records) {
    if (c.consumerGroupId !== group) continue;
    latest.set(`${c.topic}\u0000${c.partition}`, {
      topic: c.topic,
      partition: c.partition,
      sourceTopic: policy.upstreamTopic(c.topic) ?? c.topic,
      sourceOffset: c.upstreamOffset,
      targetOffset: c.downstreamOffset,
      writtenAtMs,
    });
  }
  return [...latest.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
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

function decodeAll<T>(
  records: readonly ReadRecord[],
  decode: (r: ReadRecord & { key: Buffer; value: Buffer }) => T,
): {
  decoded: { value: T; record: ReadRecord }[];
  skipped: number;
} {
  const decoded: { value: T; record: ReadRecord }[] = [];
  let skipped = 0;
  for (const record of records) {
    if (!record.key || !record.value) {
      skipped++;
      continue;
    }
    try {
      decoded.push({ value: decode(record as ReadRecord & { key: Buffer; value: Buffer }), record });
    } catch (error) {
      if (!(error instanceof MirrorKitCodecError)) throw error;
      skipped++;
    }
  }
  return { decoded, skipped };
}

/**
 * Reads `<source>.checkpoints.internal` on the cluster `kafka` points at, to its end offsets at the
 * start of the call. Null when the topic does not exist (no flow from `source` checkpoints there).
 */
export async function readCheckpointRecords(
  kafka: Kafka,
  policy: ReplicationPolicy,
  source: string,
  timeoutMs: number,
): Promise<CheckpointRecords | null> {
  const topic = policy.checkpointsTopic(source);
  let records: ReadRecord[];
  try {
    records = await readTopicToEnd(kafka, topic, { timeoutMs });
  } catch (error) {
    if (error instanceof TopicReaderError && error.code === 'READER_UNKNOWN_TOPIC') return null;
    throw error;
  }
  const { decoded, skipped } = decodeAll(records, (r) => decodeCheckpoint(r.key, r.value));
  return {
    topic,
    checkpoints: decoded.map(({ value, record }) => ({
      checkpoint: value,
      writtenAtMs: Number(record.timestamp),
    })),
    skipped,
  };
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
  let records: ReadRecord[];
  try {
    records = await readTopicToEnd(kafka, policy.offsetSyncsTopic(target), { timeoutMs });
  } catch (error) {
    if (error instanceof TopicReaderError && error.code === 'READER_UNKNOWN_TOPIC') return null;
    throw error;
  }
  return decodeAll(records, (r) => decodeOffsetSync(r.key, r.value)).decoded.map((d) => d.value);
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
