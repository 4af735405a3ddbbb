import { createTopicsAndWait } from '@mirrorkit/core';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { consumeCount, eventually, kafkaFor, sharedClusters } from '../../../test/kafka-context.js';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from './mirror-maker.js';

describe('real MirrorMaker 2 between the shared clusters', () => {
  let mm2: MirrorMakerProcess | undefined;
  afterAll(async () => {
    await mm2?.stop();
  });

  it('replicates 1,000 records of orders on us-east into us-east.orders on us-west', async () => {
    const { east, west } = sharedClusters();
    onTestFailed(() => console.error(`---- MM2 log tail ----\n${mm2?.logTail(80)}`));
    const eastKafka = kafkaFor(east);
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: 3 }] });
    await admin.disconnect();

    const started = Date.now();
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { 'us-east': east, 'us-west': west },
        flows: ['us-east->us-west'],
        extra: { 'us-east->us-west.topics': 'orders' },
      }),
    });
    const mm2Started = Date.now() - started;

    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: 1000 }, (_, i) => ({
        key: `order-${i}`,
        value: JSON.stringify({ id: i }),
        headers: { 'x-id': String(i) },
      })),
    });
    await producer.disconnect();

    const westKafka = kafkaFor(west);
    const westAdmin = westKafka.admin();
    await westAdmin.connect();
    await eventually('us-east.orders on us-west', async () =>
      (await westAdmin.listTopics()).includes('us-east.orders') ? true : undefined,
    );
    await westAdmin.disconnect();
    const seen = await consumeCount(westKafka, 'us-east.orders', 1000, { timeoutMs: 90_000 });
    const firstSeen = Date.now() - started;
    expect(seen.map((r) => r.key).sort()).toEqual(
      Array.from({ length: 1000 }, (_, i) => `order-${i}`).sort(),
    );
    for (const record of seen) {
      expect(record.value).toBe(JSON.stringify({ id: Number(record.headers['x-id']) }));
    }
    console.log(
      `[testkit] MM2 started in ${mm2Started} ms; all 1,000 records on us-west after ${firstSeen} ms`,
    );
  });
});
