import { describe, expect, it } from 'vitest';
import { kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { commitGroupOffsets, GroupOffsetsError } from './group-offsets.js';
import { createTopicsAndWait } from './topic-admin.js';

describe('commitGroupOffsets on a real broker', () => {
  it('commits offsets for an empty group in one request and refuses a group with active members', async () => {
    const { west } = sharedClusters();
    const kafka = kafkaFor(west);
    const topic = uniqueName('commit');
    const groupId = uniqueName('commit-group');
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: String(i) })),
    });
    await producer.disconnect();

    await commitGroupOffsets(kafka, groupId, [
      { topic, partition: 0, offset: 3n },
      { topic, partition: 1, offset: 7n, metadata: 'mirrorkit' },
    ]);
    const read = async (): Promise<Record<number, string>> => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return Object.fromEntries((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
    };
    expect(await read()).toEqual({ 0: '3', 1: '7' });
    // Still no group membership was created by the commit.
    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]?.members).toEqual([]);

    // A running member owns the group: the commit must be refused and change nothing.
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    while (!joined) await new Promise((r) => setTimeout(r, 100));
    const error = await commitGroupOffsets(kafka, groupId, [{ topic, partition: 0, offset: 0n }]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GroupOffsetsError);
    expect((error as GroupOffsetsError).code).toBe('GROUP_NOT_EMPTY');
    expect((error as GroupOffsetsError).message).toContain(groupId);
    await consumer.disconnect();
    expect(await read()).toEqual({ 0: '3', 1: '7' });
    await admin.disconnect();
  });
});
