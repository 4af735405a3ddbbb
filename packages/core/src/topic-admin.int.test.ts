import { describe, expect, it } from 'vitest';
import { kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { createTopicsAndWait } from './topic-admin.js';

describe('createTopicsAndWait on a real broker', () => {
  it('returns only when every partition of every new topic has a serving leader: produce and offsets work at once', async () => {
    const { west } = sharedClusters();
    const kafka = kafkaFor(west);
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      // Several rounds with fresh topics: the window in which a KRaft broker does not know a topic
      // the controller has just created is short, so give it more than one chance to show.
      for (let round = 0; round < 3; round++) {
        const topics = Array.from({ length: 4 }, (_, i) => uniqueName(`admin-${round}-${i}`));
        const created = await createTopicsAndWait(admin, {
          topics: topics.map((topic) => ({ topic, numPartitions: 5 })),
        });
        expect(created).toBe(true);

        const metadata = await admin.fetchTopicMetadata({ topics });
        expect(metadata.topics.map((t) => t.name).sort()).toEqual([...topics].sort());
        for (const t of metadata.topics) {
          expect(t.partitions).toHaveLength(5);
          for (const p of t.partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
        }

        await producer.sendBatch({
          acks: -1,
          topicMessages: topics.map((topic) => ({
            topic,
            messages: Array.from({ length: 5 }, (_, partition) => ({
              partition,
              value: `${topic}/${partition}`,
            })),
          })),
        });
        for (const topic of topics) {
          const offsets = await admin.fetchTopicOffsets(topic);
          expect(
            [...offsets].sort((a, b) => a.partition - b.partition).map((o) => [o.partition, o.low, o.high]),
          ).toEqual([0, 1, 2, 3, 4].map((partition) => [partition, '0', '1']));
        }
      }
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('returns false without throwing for a topic that exists, still waits for new ones beside it, and validateOnly creates nothing', async () => {
    const { east } = sharedClusters();
    const kafka = kafkaFor(east);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = uniqueName('admin-existing');
      expect(await createTopicsAndWait(admin, { topics: [{ topic: existing, numPartitions: 2 }] })).toBe(
        true,
      );
      expect(await createTopicsAndWait(admin, { topics: [{ topic: existing, numPartitions: 2 }] })).toBe(
        false,
      );
      // A differing partition count changes nothing either: the topic exists.
      expect(await createTopicsAndWait(admin, { topics: [{ topic: existing, numPartitions: 4 }] })).toBe(
        false,
      );
      expect((await admin.fetchTopicOffsets(existing)).length).toBe(2);

      // kafkajs reports false when every error is TOPIC_ALREADY_EXISTS, even if another topic in the
      // same request was created; that one must have leaders on return all the same.
      const fresh = uniqueName('admin-fresh');
      await createTopicsAndWait(admin, {
        topics: [
          { topic: existing, numPartitions: 2 },
          { topic: fresh, numPartitions: 3 },
        ],
      });
      const offsets = await admin.fetchTopicOffsets(fresh);
      expect(offsets.map((o) => o.partition).sort((a, b) => a - b)).toEqual([0, 1, 2]);

      const validated = uniqueName('admin-validate');
      expect(
        await createTopicsAndWait(admin, {
          topics: [{ topic: validated, numPartitions: 1 }],
          validateOnly: true,
        }),
      ).toBe(true);
      expect(await admin.listTopics()).not.toContain(validated);
    } finally {
      await admin.disconnect();
    }
  });
});
