import type { Kafka } from 'kafkajs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeCheckpoint } from './checkpoint-codec.js';
import { readCheckpoints } from './checkpoint-reader.js';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import {
  latestGroupCheckpoints,
  readCheckpointRecords,
  readOffsetSyncs,
  summarizeCheckpointGroups,
  type TimedCheckpoint,
} from './mm2-topic-readers.js';
import { encodeOffsetSync } from './offset-sync-codec.js';
import { type ReadRecord, readTopicToEnd, TopicReaderError } from './topic-reader.js';

vi.mock('./topic-reader.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./topic-reader.js')>()),
  readTopicToEnd: vi.fn(),
}));
const readTopic = vi.mocked(readTopicToEnd);

const cp = (group: string, partition: number, up: bigint, down: bigint, at: number): TimedCheckpoint => ({
  checkpoint: {
    consumerGroupId: group,
    topic: 'us-east.orders',
    partition,
    upstreamOffset: up,
    downstreamOffset: down,
    metadata: '',
  },
  writtenAtMs: at,
});

describe('checkpoint view', () => {
  const records = [
    cp('billing', 1, 10n, 9n, 100),
    cp('billing', 0, 5n, 5n, 110),
    cp('audit', 0, 3n, 3n, 90),
    cp('billing', 1, 20n, 18n, 120),
  ];

  it('keeps the last checkpoint per partition of the group, sorted, with source names', () => {
    expect(latestGroupCheckpoints(records, 'billing', new DefaultReplicationPolicy())).toEqual([
      {
        topic: 'us-east.orders',
        partition: 0,
        sourceTopic: 'orders',
        sourceOffset: 5n,
        targetOffset: 5n,
        metadata: '',
        writtenAtMs: 110,
      },
      {
        topic: 'us-east.orders',
        partition: 1,
        sourceTopic: 'orders',
        sourceOffset: 20n,
        targetOffset: 18n,
        metadata: '',
        writtenAtMs: 120,
      },
    ]);
    expect(latestGroupCheckpoints(records, 'nobody', new DefaultReplicationPolicy())).toEqual([]);
  });

  it('summarises groups with partition counts and the newest write', () => {
    expect(summarizeCheckpointGroups(records)).toEqual([
      { group: 'audit', partitions: 1, newestMs: 90 },
      { group: 'billing', partitions: 2, newestMs: 120 },
    ]);
  });
});

describe('the readers of the checkpoints topic', () => {
  const policy = new DefaultReplicationPolicy();
  const kafka = {} as Kafka;
  const topic = 'us-east.checkpoints.internal';
  const record = (
    offset: bigint,
    key: Buffer | null,
    value: Buffer | null,
    timestamp = 1000n,
  ): ReadRecord => ({
    topic,
    partition: 0,
    offset,
    timestamp,
    key,
    value,
    headers: {},
  });
  const stored = cp('billing', 2, 40n, 38n, 1234).checkpoint;
  const good = encodeCheckpoint(stored);
  const records = [
    record(0n, null, good.value),
    record(1n, good.key, null),
    record(2n, good.key, Buffer.from([0, 9])),
    record(3n, good.key, good.value, 1234n),
  ];

  beforeEach(() => {
    readTopic.mockReset();
  });

  it('skip what is not a checkpoint, counting it and saying why, and time the rest', async () => {
    readTopic.mockResolvedValue(records);
    const read = await readCheckpointRecords(kafka, policy, 'us-east', 5000);
    expect(readTopic).toHaveBeenCalledWith(kafka, topic, { timeoutMs: 5000 });
    expect(read?.checkpoints).toEqual([{ checkpoint: stored, writtenAtMs: 1234 }]);
    expect(read?.skipped).toBe(3);
    expect(read?.skipReasons.slice(0, 2)).toEqual([
      `${topic}[0]@0: checkpoint key: is null`,
      `${topic}[0]@1: checkpoint value: is null`,
    ]);
    expect(read?.skipReasons[2]).toMatch(new RegExp(`^${topic}\\[0\\]@2: checkpoint `));
  });

  it('readCheckpoints answers from the same read: the group’s latest checkpoints, skips and all', async () => {
    readTopic.mockResolvedValue(records);
    const read = await readCheckpoints(kafka, { sourceAlias: 'us-east', policy, group: 'billing' });
    expect(readTopic).toHaveBeenCalledWith(kafka, topic, { timeoutMs: 30_000 });
    expect(read.topic).toBe(topic);
    expect(read.checkpoints.map((c) => c.downstreamOffset)).toEqual([38n]);
    expect(read.offsets).toEqual([
      {
        topic: 'us-east.orders',
        partition: 2,
        sourceTopic: 'orders',
        sourceOffset: 40n,
        targetOffset: 38n,
        metadata: '',
        writtenAtMs: 1234,
      },
    ]);
    expect(read.skipped).toBe(3);
    expect(read.skipReasons).toHaveLength(3);
    expect((await readCheckpoints(kafka, { sourceAlias: 'us-east', policy })).offsets).toEqual([]);
  });

  it('keep only the first ten skip reasons', async () => {
    readTopic.mockResolvedValue(Array.from({ length: 25 }, (_, n) => record(BigInt(n), null, null)));
    const read = await readCheckpointRecords(kafka, policy, 'us-east', 5000);
    expect(read?.skipped).toBe(25);
    expect(read?.skipReasons).toHaveLength(10);
  });

  it('a missing topic: null from readCheckpointRecords, the reader’s own error from readCheckpoints', async () => {
    const missing = new TopicReaderError(
      'READER_UNKNOWN_TOPIC',
      `topic "${topic}" does not exist on this cluster`,
    );
    readTopic.mockRejectedValue(missing);
    expect(await readCheckpointRecords(kafka, policy, 'us-east', 5000)).toBeNull();
    await expect(readCheckpoints(kafka, { sourceAlias: 'us-east', policy, group: 'billing' })).rejects.toBe(
      missing,
    );
  });

  it('other failures (a timeout) pass through both', async () => {
    const timeout = new TopicReaderError('READER_TIMEOUT', 'timed out');
    readTopic.mockRejectedValue(timeout);
    await expect(readCheckpointRecords(kafka, policy, 'us-east', 5000)).rejects.toBe(timeout);
    await expect(readCheckpoints(kafka, { sourceAlias: 'us-east', policy, timeoutMs: 10 })).rejects.toBe(
      timeout,
    );
  });

  it('readOffsetSyncs: decodable syncs, null for a missing topic', async () => {
    const sync = encodeOffsetSync({
      topic: 'orders',
      partition: 1,
      upstreamOffset: 7n,
      downstreamOffset: 6n,
    });
    readTopic.mockResolvedValue([record(0n, null, null), record(1n, sync.key, sync.value)]);
    expect(await readOffsetSyncs(kafka, policy, 'us-west', 5000)).toEqual([
      { topic: 'orders', partition: 1, upstreamOffset: 7n, downstreamOffset: 6n },
    ]);
    expect(readTopic).toHaveBeenCalledWith(kafka, 'mm2-offset-syncs.us-west.internal', { timeoutMs: 5000 });
    readTopic.mockRejectedValue(new TopicReaderError('READER_UNKNOWN_TOPIC', 'gone'));
    expect(await readOffsetSyncs(kafka, policy, 'us-west', 5000)).toBeNull();
  });
});
