import { dirname, join } from 'node:path';
import { MirrorKit, type MirrorKitConsumer } from '@mirrorkit/client';
import { createTopicsAndWait, type ReadRecord, readTopicToEnd } from '@mirrorkit/core';
import { javaConsumeTopic, javaProducerPerformance, storedBatches } from '@mirrorkit/testkit';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { type Replicator, startReplicator } from './replicator.js';
import { testLog } from './replicator-test-log.testing.js';

// Records here are written by Kafka's own Java producer and read back by Kafka's own Java consumer
// and DumpLogSegments, so MirrorKit's codecs are checked against Kafka's, not against themselves.

const CODECS = ['zstd', 'lz4', 'snappy', 'gzip'] as const;
const RECORDS = 2000;
const PARTITIONS = 2;

function properties(east: string, west: string, topics: string, extra = ''): string {
  return `
clusters = us-east, us-west
us-east.bootstrap.servers = ${east}
us-west.bootstrap.servers = ${west}
us-east->us-west.enabled = true
us-east->us-west.topics = ${topics}
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
refresh.topics.interval.seconds = 1
sync.topic.acls.enabled = false
${extra}`;
}

/** The broker's data directory: `log.dirs` of a testkit cluster is `<dir of broker.log>/log`. */
function logDirOf(alias: 'us-east' | 'us-west'): string {
  const cluster = inject('kafka').clusters[alias];
  if (!cluster) throw new Error(`no cluster ${alias}`);
  return join(dirname(cluster.logFile), 'log');
}

/** Values per partition in offset order. */
function byPartition(records: readonly ReadRecord[]): string[][] {
  const out: string[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const r of [...records].sort((a, b) => (a.offset < b.offset ? -1 : 1)))
    out[r.partition]?.push(r.value?.toString('latin1') ?? '');
  return out;
}

async function createSourceTopics(east: string, topics: readonly string[]): Promise<void> {
  const admin = kafkaFor(east).admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, {
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
    });
  } finally {
    await admin.disconnect();
  }
}

describe('compressed topics on real brokers, written and read by Kafka’s Java clients', () => {
  let replicator: Replicator | undefined;
  let consumer: MirrorKitConsumer | undefined;
  afterEach(async () => {
    await consumer?.disconnect();
    consumer = undefined;
    await replicator?.stop();
    replicator = undefined;
  });

  it('the sidecar copies a zstd, lz4, snappy and gzip topic in full, writes zstd that Java reads back, and a MirrorKit consumer reads all four', async () => {
    const { east, west } = sharedClusters();
    const suffix = uniqueName('c');
    const topics = CODECS.map((codec) => `events-${codec}-${suffix}`);
    await createSourceTopics(east, topics);
    await Promise.all(
      CODECS.map((codec, i) =>
        javaProducerPerformance({
          bootstrapServers: east,
          topic: topics[i] as string,
          records: RECORDS,
          recordSize: 300,
          compression: codec,
        }),
      ),
    );
    // Ground truth first: the source really holds batches of each codec, as Java wrote them.
    for (const [i, codec] of CODECS.entries()) {
      const batches = await storedBatches(logDirOf('us-east'), topics[i] as string, 0);
      expect(batches.length).toBeGreaterThan(0);
      expect(new Set(batches.map((b) => b.codec))).toEqual(new Set([codec]));
    }

    replicator = await startReplicator({
      properties: properties(east, west, `events-.*-${suffix}`, 'us-west.producer.compression.type = zstd'),
      log: testLog(),
    });
    const source = kafkaFor(east);
    const target = kafkaFor(west);
    for (const topic of topics) {
      const remote = `us-east.${topic}`;
      await eventually(
        `${remote} holds all ${RECORDS} records`,
        async () => {
          const admin = target.admin();
          await admin.connect();
          try {
            const offsets = await admin.fetchTopicOffsets(remote);
            return offsets.reduce((n, p) => n + Number(p.high), 0) >= RECORDS ? true : undefined;
          } finally {
            await admin.disconnect();
          }
        },
        90_000,
      );
      // Nothing lost, nothing duplicated, nothing reordered: the copy is the source, partition by partition.
      const original = byPartition(await readTopicToEnd(source, topic));
      const copy = byPartition(await readTopicToEnd(target, remote));
      expect(original.flat()).toHaveLength(RECORDS);
      expect(copy).toEqual(original);
      // Ground truth on the target: every batch the sidecar wrote is zstd, as configured.
      for (let p = 0; p < PARTITIONS; p++) {
        const batches = await storedBatches(logDirOf('us-west'), remote, p);
        expect(batches.reduce((n, b) => n + b.count, 0)).toBe(original[p]?.length);
        expect(new Set(batches.map((b) => b.codec))).toEqual(new Set(['zstd']));
      }
    }

    // Kafka's own Java consumer reads the zstd batches MirrorKit wrote, every record of them.
    const lz4Copy = `us-east.${topics[1]}`;
    const javaRead = await javaConsumeTopic({ bootstrapServers: west, topic: lz4Copy, maxMessages: RECORDS });
    expect(javaRead).toHaveLength(RECORDS);
    const expected = byPartition(await readTopicToEnd(source, topics[1] as string));
    for (let p = 0; p < PARTITIONS; p++) {
      expect(javaRead.filter((r) => r.partition === p).map((r) => r.value)).toEqual(expected[p]);
    }

    // The bytes the codec saved are reported, and match what the broker stores.
    const saved = replicator.metrics.counter('mirrorkit_replicator_compression_saved_bytes_total', {
      flow: 'us-east->us-west',
      codec: 'zstd',
    });
    expect(saved).toBeGreaterThan(CODECS.length * RECORDS * 300 * 0.2);
    expect(replicator.metrics.render()).toMatch(
      /mirrorkit_replicator_compressed_bytes_total\{flow="us-east->us-west",codec="zstd"\} \d+/,
    );

    // The application side: one MirrorKit consumer reads all four codecs' topics.
    const mk = new MirrorKit({
      clusters: { 'us-east': { brokers: [east] }, 'us-west': { brokers: [west] } },
      activeCluster: 'us-east',
      logLevel: logLevel.NOTHING,
    });
    consumer = mk.consumer({ groupId: uniqueName('codecs'), noCheckpoint: 'earliest' });
    const seen = new Map<string, Set<string>>(topics.map((t) => [t, new Set<string>()]));
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        seen.get(topic)?.add(`${partition}:${message.offset}`);
      },
    });
    await eventually(
      'the MirrorKit consumer read every record of the four topics',
      async () => ([...seen.values()].every((s) => s.size === RECORDS) ? true : undefined),
      60_000,
    );
  });

  it('keeps MM2’s default: copies are uncompressed unless compression.type says otherwise', async () => {
    const { east, west } = sharedClusters();
    const topic = uniqueName('events-lz4-default');
    await createSourceTopics(east, [topic]);
    await javaProducerPerformance({
      bootstrapServers: east,
      topic,
      records: 500,
      recordSize: 200,
      compression: 'lz4',
    });
    replicator = await startReplicator({ properties: properties(east, west, topic), log: testLog() });
    const remote = `us-east.${topic}`;
    const target = kafkaFor(west);
    await eventually('the copy is complete', async () =>
      (await readTopicToEnd(target, remote).catch(() => [])).length === 500 ? true : undefined,
    );
    const codecs = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++)
      for (const b of await storedBatches(logDirOf('us-west'), remote, p)) codecs.add(b.codec);
    expect(codecs).toEqual(new Set(['none']));
  });
});
