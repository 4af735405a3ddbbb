import { dirname, join } from 'node:path';
import { createTopicsAndWait } from '@mirrorkit/core';
import { javaConsumeTopic, storedBatches } from '@mirrorkit/testkit';
import { CompressionTypes, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { MirrorKit } from './mirror-kit.js';

// The MirrorKit producer writes every codec Kafka has; Kafka's own Java consumer and
// DumpLogSegments are the judges of what landed on the broker.

const CODECS = [
  ['zstd', CompressionTypes.ZSTD],
  ['lz4', CompressionTypes.LZ4],
  ['snappy', CompressionTypes.Snappy],
  ['gzip', CompressionTypes.GZIP],
] as const;

describe('the MirrorKit producer on compressed topics', () => {
  it('writes zstd, lz4, snappy and gzip batches that Kafka’s Java consumer reads back record for record', async () => {
    const { east } = sharedClusters();
    const cluster = inject('kafka').clusters['us-east'];
    if (!cluster) throw new Error('no us-east');
    const logDir = join(dirname(cluster.logFile), 'log');
    const admin = kafkaFor(east).admin();
    await admin.connect();
    const topics = CODECS.map(([name]) => uniqueName(`produced-${name}`));
    await createTopicsAndWait(admin, { topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
    await admin.disconnect();
    const mk = new MirrorKit({
      clusters: { 'us-east': { brokers: [east] } },
      activeCluster: 'us-east',
      logLevel: logLevel.NOTHING,
    });
    const producer = mk.producer();
    await producer.connect();
    try {
      for (const [i, [, type]] of CODECS.entries()) {
        // Batches over 64 KiB: several LZ4 blocks, several snappy-java chunks per batch.
        for (let batch = 0; batch < 4; batch++) {
          await producer.send({
            topic: topics[i] as string,
            compression: type,
            messages: Array.from({ length: 250 }, (_, n) => ({
              key: `key-${batch}-${n}`,
              value: `${batch}:${n}:${'payload '.repeat(40)}`,
            })),
          });
        }
      }
    } finally {
      await producer.disconnect();
    }
    for (const [i, [name]] of CODECS.entries()) {
      const topic = topics[i] as string;
      const batches = await storedBatches(logDir, topic, 0);
      expect(batches.map((b) => b.codec)).toEqual([name, name, name, name]);
      const read = await javaConsumeTopic({ bootstrapServers: east, topic, maxMessages: 1000 });
      expect(read.map((r) => `${r.key}=${r.value}`)).toEqual(
        Array.from({ length: 1000 }, (_, k) => {
          const batch = Math.floor(k / 250);
          const n = k % 250;
          return `key-${batch}-${n}=${batch}:${n}:${'payload '.repeat(40)}`;
        }),
      );
    }
  });
});
