import { describe, expect, it } from 'vitest';
import { kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { createTopicsAndWait } from './topic-admin.js';
import { readTopicToEnd, TopicReaderError } from './topic-reader.js';

describe('readTopicToEnd on a real broker', () => {
  it('reads every committed record up to the end offsets, skips aborted ones, and joins no group', async () => {
    const { east } = sharedClusters();
    const kafka = kafkaFor(east);
    const topic = uniqueName('reader');
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 2 }] });
    const groupsBefore = (await admin.listGroups()).groups.map((g) => g.groupId).sort();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 40 }, (_, i) => ({
        partition: i % 2,
        key: `plain-${i}`,
        value: `v${i}`,
      })),
    });
    await producer.disconnect();
    const txProducer = kafka.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await txProducer.connect();
    const aborted = await txProducer.transaction();
    await aborted.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: `aborted-${i}`, value: 'x' })),
    });
    await aborted.abort();
    const committed = await txProducer.transaction();
    await committed.send({
      topic,
      messages: Array.from({ length: 5 }, (_, i) => ({ partition: 1, key: `tx-${i}`, value: 'y' })),
    });
    await committed.commit();
    await txProducer.disconnect();

    const records = await readTopicToEnd(kafka, topic, { timeoutMs: 20_000 });
    const keys = records.map((r) => r.key?.toString());
    expect(records).toHaveLength(45);
    expect(keys.filter((k) => k?.startsWith('aborted-'))).toEqual([]);
    expect(keys.filter((k) => k?.startsWith('tx-'))).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3', 'tx-4']);
    for (const partition of [0, 1]) {
      const offsets = records.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
    }
    // Start offsets skip what came before them.
    const fromTen = await readTopicToEnd(kafka, topic, {
      startOffsets: new Map([
        [0, 10n],
        [1, 1000n],
      ]),
    });
    expect(fromTen.every((r) => r.partition === 0 && r.offset >= 10n)).toBe(true);
    expect(fromTen.length).toBe(10);

    expect((await admin.listGroups()).groups.map((g) => g.groupId).sort()).toEqual(groupsBefore);
    await admin.disconnect();
  });

  it('names the topic when it does not exist', async () => {
    const { east } = sharedClusters();
    const missing = uniqueName('missing');
    await expect(readTopicToEnd(kafkaFor(east), missing, { timeoutMs: 5000 })).rejects.toThrow(
      TopicReaderError,
    );
    await expect(readTopicToEnd(kafkaFor(east), missing, { timeoutMs: 5000 })).rejects.toThrow(missing);
  });
});
