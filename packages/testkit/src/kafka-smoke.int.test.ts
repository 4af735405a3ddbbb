import { createTopicsAndWait } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { consumeCount, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';

describe('kafkajs against the shared us-east cluster', () => {
  it('produces 10,000 keyed records with headers, consumes them in a group and reads the commits back', async () => {
    const { east } = sharedClusters();
    const kafka = kafkaFor(east);
    const topic = uniqueName('smoke');
    const groupId = uniqueName('smoke-group');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 3 }] });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);

      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      const total = 10_000;
      for (let batch = 0; batch < total; batch += 1000) {
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: 1000 }, (_, i) => ({
            key: `key-${batch + i}`,
            value: `value-${batch + i}`,
            headers: { 'x-seq': String(batch + i), 'x-origin': 'us-east' },
          })),
        });
      }
      await producer.disconnect();

      const seen = await consumeCount(kafka, topic, total, { groupId });
      expect(seen).toHaveLength(total);
      expect(new Set(seen.map((r) => r.key)).size).toBe(total);
      for (const record of seen) {
        const seq = record.headers['x-seq'];
        expect(record.key).toBe(`key-${seq}`);
        expect(record.value).toBe(`value-${seq}`);
        expect(record.headers['x-origin']).toBe('us-east');
      }
      // Records with one key land in one partition, so the partitioner spread them: all 3 are used.
      expect(new Set(seen.map((r) => r.partition)).size).toBe(3);

      // kafkajs commits on disconnect; the group's committed offsets must equal the end offsets.
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedByPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
      for (const end of ends) {
        expect(committedByPartition.get(end.partition)).toBe(end.high);
      }
      expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(total);
    } finally {
      await admin.disconnect();
    }
  });
});
