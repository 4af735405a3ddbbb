import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import type { MirrorKitConsumer } from './failover-consumer.js';
import { MirrorKit } from './mirror-kit.js';

describe('MirrorKitConsumer in active-active (two MirrorMaker 2 flows)', () => {
  let mm2: MirrorMakerProcess | undefined;
  const consumers: MirrorKitConsumer[] = [];
  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    consumers.length = 0;
    await mm2?.stop();
    mm2 = undefined;
  });

  it("each region reads its own topic and the other's copy, with origins, and nothing loops", async () => {
    const { east, west } = sharedClusters();
    onTestFailed(() => console.error(`---- MM2 log tail ----\n${mm2?.logTail(60)}`));
    const a = uniqueName('east');
    const b = uniqueName('west');
    const topic = uniqueName('orders');
    const policy = new DefaultReplicationPolicy();
    const bootstrap: Record<string, string> = { [a]: east, [b]: west };
    for (const alias of [a, b]) {
      const kafka = kafkaFor(bootstrap[alias] as string);
      const admin = kafka.admin();
      await admin.connect();
      await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 2 }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 300 }, (_, i) => ({ key: `${alias}:${i}`, value: 'v' })),
      });
      await producer.disconnect();
    }
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: bootstrap,
        flows: [`${a}->${b}`, `${b}->${a}`],
        extra: { topics: topic },
      }),
    });

    const seen: Record<string, Map<string, string>> = { [a]: new Map(), [b]: new Map() };
    const wrong: string[] = [];
    for (const region of [a, b]) {
      const other = region === a ? b : a;
      const mk = new MirrorKit({
        clusters: { [a]: { brokers: [east] }, [b]: { brokers: [west] } },
        activeCluster: region,
        policy,
        logLevel: logLevel.NOTHING,
      });
      const consumer = mk.consumer({ groupId: uniqueName('ledger'), metadataRefreshMs: 500 });
      consumers.push(consumer);
      await consumer.subscribe({ topics: [topic], remote: true, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ cluster, topic: from, message, origin }) => {
          const key = message.key?.toString() ?? '';
          const born = key.split(':')[0];
          // The key says where a record was produced; origin must say the same.
          if (cluster !== region || origin.cluster !== born || origin.topic !== topic)
            wrong.push(`${region}: ${from} ${key} → ${origin.cluster}/${origin.topic}`);
          if (from !== topic && from !== policy.formatRemoteTopic(other, topic))
            wrong.push(`${region}: read ${from}`);
          seen[region]?.set(key, from);
        },
      });
    }
    for (const region of [a, b]) {
      await eventually(
        `${region} read 600 records`,
        async () => ((seen[region]?.size ?? 0) >= 600 ? true : undefined),
        90_000,
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    expect(wrong).toEqual([]);
    for (const region of [a, b]) {
      expect(seen[region]?.size).toBe(600);
      const other = region === a ? b : a;
      const remote = [...(seen[region] ?? new Map<string, string>()).values()].filter(
        (t) => t === policy.formatRemoteTopic(other, topic),
      );
      expect(remote).toHaveLength(300);
    }
  }, 180_000);
});
