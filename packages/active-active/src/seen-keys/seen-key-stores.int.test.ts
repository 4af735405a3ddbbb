import { MirrorKit, type MirrorKitConsumer, type MirrorKitEachMessagePayload } from '@mirrorkit/client';
import { createTopicsAndWait, DefaultReplicationPolicy, encodeCheckpoint } from '@mirrorkit/core';
import { logLevel, type Message } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import { dedup } from '../dedup/dedup-handler.js';
import { Deduplicator } from '../dedup/deduplicator.js';
import { KafkaSeenKeyStore } from './seen-key-store.js';
import { SeenKeyStores } from './seen-key-stores.js';

const keyOf = (i: number) => `us-east:evt-${i}`;

/** The keys a cluster's seen-key topic holds, read as a restarted consumer would. */
async function persistedKeys(bootstrap: string, topic: string, of: number): Promise<number[]> {
  const seen = new Deduplicator({ maxKeys: 1000 });
  const reader = new KafkaSeenKeyStore(kafkaFor(bootstrap), { topic });
  await reader.open(seen);
  await reader.close();
  return Array.from({ length: of }, (_, i) => i).filter((i) => seen.has(keyOf(i)));
}

// MirrorKit's consumer fails over through checkpoints written by hand (no MirrorMaker needed: the
// translated offset is then known in advance), with a seen-key store on each cluster.
describe('SeenKeyStores under a MirrorKit failover on real brokers', () => {
  let consumer: MirrorKitConsumer | undefined;
  let stores: SeenKeyStores | undefined;
  afterEach(async () => {
    await consumer?.disconnect();
    await stores?.close();
    consumer = undefined;
    stores = undefined;
  });

  it("writes keys to the active cluster's store, and restores the DR store's keys before handling there", async () => {
    const { east, west } = sharedClusters();
    const home = uniqueName('alpha');
    const dr = uniqueName('beta');
    const topic = uniqueName('orders');
    const groupId = uniqueName('billing');
    const seenTopic = `${groupId}.mirrorkit-seen`;
    const policy = new DefaultReplicationPolicy();
    const remote = policy.formatRemoteTopic(home, topic);
    const eastKafka = kafkaFor(east);
    const westKafka = kafkaFor(west);
    const eastAdmin = eastKafka.admin();
    const westAdmin = westKafka.admin();
    await Promise.all([eastAdmin.connect(), westAdmin.connect()]);
    await createTopicsAndWait(eastAdmin, { topics: [{ topic, numPartitions: 1 }] });
    await createTopicsAndWait(westAdmin, {
      topics: [
        { topic: remote, numPartitions: 1 },
        { topic: policy.checkpointsTopic(home), numPartitions: 1 },
      ],
    });
    await Promise.all([eastAdmin.disconnect(), westAdmin.disconnect()]);
    const send = async (bootstrap: string, to: string, messages: Message[]) => {
      const producer = kafkaFor(bootstrap).producer();
      await producer.connect();
      await producer.send({ topic: to, acks: -1, messages });
      await producer.disconnect();
    };
    // Home has evt-0…19; its copy on the DR cluster also has evt-20…29, which home's consumer
    // never got. The checkpoint lags: the group resumes on the DR cluster at evt-10.
    const events = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ key: keyOf(from + i), value: String(from + i) }));
    await send(east, topic, events(0, 20));
    await send(west, remote, events(0, 30));
    await send(west, policy.checkpointsTopic(home), [
      encodeCheckpoint({
        consumerGroupId: groupId,
        topic: remote,
        partition: 0,
        upstreamOffset: 20n,
        downstreamOffset: 10n,
        metadata: '',
      }),
    ]);
    // The DR cluster's store holds evt-20…22: the group handled them there before (an earlier
    // failover).
    const earlier = new KafkaSeenKeyStore(westKafka, { topic: seenTopic });
    await earlier.open(new Deduplicator({ maxKeys: 10 }));
    for (const i of [20, 21, 22]) await earlier.remember(keyOf(i));
    await earlier.close();

    const mk = new MirrorKit({
      clusters: { [home]: { brokers: [east] }, [dr]: { brokers: [west] } },
      activeCluster: home,
      logLevel: logLevel.NOTHING,
    });
    const seen = new Deduplicator({ maxKeys: 1000 });
    stores = new SeenKeyStores({
      [home]: new KafkaSeenKeyStore(eastKafka, { topic: seenTopic }),
      [dr]: new KafkaSeenKeyStore(westKafka, { topic: seenTopic }),
    });
    const opened: string[] = [];
    stores.events.on('opened', (o) => opened.push(`${o.cluster === home ? 'home' : 'dr'}: ${o.restored}`));
    await stores.open(seen, home);

    const calls = new Map<string, string[]>();
    const handler = dedup<MirrorKitEachMessagePayload>(
      async ({ cluster, message }) => {
        const key = message.key?.toString() ?? '';
        calls.set(key, [...(calls.get(key) ?? []), cluster === home ? 'home' : 'dr']);
      },
      { deduplicator: seen, store: stores },
    );
    consumer = mk.consumer({ groupId, noCheckpoint: 'earliest', metadataRefreshMs: 500 });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: handler });
    await eventually('home handled evt-0…19', async () => (calls.size === 20 ? true : undefined));

    const report = await consumer.failover(dr);
    expect(report.positions.map((p) => [p.topic, p.offset])).toEqual([[remote, 10n]]);
    await eventually('the DR cluster handed over evt-10…29', async () =>
      handler.stats().processed + handler.stats().duplicates >= 40 ? true : undefined,
    );
    // Let a late copy arrive before judging.
    await new Promise((r) => setTimeout(r, 1000));

    const expected: Record<string, string[]> = {};
    for (let i = 0; i < 20; i++) expected[keyOf(i)] = ['home'];
    for (let i = 23; i < 30; i++) expected[keyOf(i)] = ['dr'];
    expect(Object.fromEntries(calls)).toEqual(expected);
    // evt-10…19 were handled on home (in memory), evt-20…22 on the DR cluster before (restored).
    expect(handler.stats()).toMatchObject({ processed: 27, duplicates: 13, persistFailures: 0 });
    expect(opened).toEqual(['home: 0', 'dr: 3']);
    expect(await persistedKeys(east, seenTopic, 30)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await persistedKeys(west, seenTopic, 30)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  }, 120_000);
});
