import { MirrorKit, type MirrorKitConsumer, type MirrorKitEachMessagePayload } from '@mirrorkit/client';
import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import { type Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  eventually,
  kafkaFor,
  recordCount,
  sharedClusters,
  uniqueName,
} from '../../../../test/kafka-context.js';
import { type DedupHandler, dedup } from '../dedup/dedup-handler.js';
import { Deduplicator } from '../dedup/deduplicator.js';
import { PartitionedSeenKeyStore } from '../seen-keys/partitioned-seen-key-store.js';
import { SeenKeyStores } from '../seen-keys/seen-key-stores.js';
import { CO_PARTITIONED_PROTOCOL } from './co-partitioned-assigner.js';

const policy = new DefaultReplicationPolicy();
const PARTITIONS = 4;

async function createTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, {
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
    });
  } finally {
    await admin.disconnect();
  }
}

async function produce(kafka: Kafka, topic: string, ids: readonly string[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  // Default partitioner and equal counts: both copies of a key land in the same partition number.
  await producer.send({ topic, acks: -1, messages: ids.map((id) => ({ key: id, value: id })) });
  await producer.disconnect();
}

/** Each handling, by event id: the ground truth of what the group's handlers did. */
type Handlings = Map<string, string[]>;

function handle(handlings: Handlings, member: string) {
  return async ({ message }: MirrorKitEachMessagePayload) => {
    const id = message.key?.toString() ?? '';
    handlings.set(id, [...(handlings.get(id) ?? []), member]);
  };
}

/** Ids handled other than exactly once, with who handled them. */
function notOnce(handlings: Handlings, ids: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(
    ids.map((id) => [id, handlings.get(id) ?? []]).filter(([, by]) => by?.length !== 1),
  );
}

describe("MirrorKit's consumer with dedup across a group (real brokers)", () => {
  const consumers: MirrorKitConsumer[] = [];
  const closers: (() => Promise<void>)[] = [];
  let mm2: MirrorMakerProcess | undefined;
  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    consumers.length = 0;
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    await mm2?.stop();
    mm2 = undefined;
  });

  it('co-partitions the group by itself when the handler is a dedup handler, keeps it when a copy appears live, and says when a member cannot', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('east');
    const b = uniqueName('west');
    const topic = uniqueName('accounts');
    const remote = policy.formatRemoteTopic(a, topic);
    const westKafka = kafkaFor(west);
    await createTopics(westKafka, [topic, remote]);
    const mk = new MirrorKit({
      clusters: { [a]: { brokers: [east] }, [b]: { brokers: [west] } },
      activeCluster: b,
      logLevel: logLevel.NOTHING,
    });
    const group = uniqueName('ledger');
    const handlings: Handlings = new Map();
    const fallbacks: string[] = [];
    // Three members, as the issue measured: kafkajs's round-robin splits every pair of copies of
    // 4 partitions over three members. No partitionAssigners given: the handler asks for them.
    // Each with a store partitioned like the data, which the consumer has follow its joins.
    const c = uniqueName('eu');
    const third = policy.formatRemoteTopic(c, topic);
    const subscribed = new Set<string>();
    for (const member of ['m1', 'm2', 'm3']) {
      const consumer = mk.consumer({ groupId: group, metadataRefreshMs: 1000, progress: false });
      consumers.push(consumer);
      consumer.on('assignment:fallback', (f) => fallbacks.push(`${member}: ${f.protocol}`));
      consumer.on('subscription:changed', (change) => {
        if (change.added.includes(third)) subscribed.add(member);
      });
      const seen = new Deduplicator({ maxKeys: 10_000 });
      const store = new PartitionedSeenKeyStore(westKafka, {
        topic: `${group}.mirrorkit-seen`,
        partitions: PARTITIONS,
      });
      closers.push(() => store.close());
      await store.open(seen);
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: dedup(handle(handlings, member), { deduplicator: seen, store }) });
    }
    await eventually(
      'three members in a stable group',
      async () => {
        const admin = westKafka.admin();
        await admin.connect();
        try {
          const [g] = (await admin.describeGroups([group])).groups;
          return g?.state === 'Stable' && g.members.length === 3 && g.protocol === CO_PARTITIONED_PROTOCOL
            ? true
            : undefined;
        } finally {
          await admin.disconnect();
        }
      },
      60_000,
    );
    // Every event reaches the region twice: on its local topic and on the remote copy.
    const ids = Array.from({ length: 200 }, (_, i) => `${a}:evt-${i}`);
    await produce(westKafka, topic, ids);
    await produce(westKafka, remote, ids);
    await eventually('every event handled', async () =>
      ids.every((id) => handlings.has(id)) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1500)); // a late second handling would show by now
    expect(notOnce(handlings, ids)).toEqual({});
    expect(new Set([...handlings.values()].flat()).size).toBeGreaterThan(1); // the load was shared
    expect(fallbacks).toEqual([]);

    // A third region's copy appears while the group runs (wildcard pick-up: each member restarts
    // its consumer on the new topic list, and the group rebalances): copies of keys already
    // handled are duplicates, in whichever member now holds their partition number.
    await createTopics(westKafka, [third]);
    await eventually(
      'every member reads the new copy',
      async () => (subscribed.size === 3 ? true : undefined),
      60_000,
    );
    const fresh = Array.from({ length: 100 }, (_, i) => `${c}:evt-${i}`);
    await produce(westKafka, third, [...ids.slice(0, 100), ...fresh]);
    await eventually('the new events handled', async () =>
      fresh.every((id) => handlings.has(id)) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(notOnce(handlings, [...ids, ...fresh])).toEqual({});
    expect(fallbacks).toEqual([]);

    // A member whose handler asks nothing (an older version in a rolling deploy): the group runs
    // the protocol all members offer, round-robin, and the dedup members say so.
    const plainGroup = uniqueName('mixed');
    const deduping = mk.consumer({ groupId: plainGroup, metadataRefreshMs: 60_000, progress: false });
    const plain = mk.consumer({ groupId: plainGroup, metadataRefreshMs: 60_000, progress: false });
    consumers.push(deduping, plain);
    deduping.on('assignment:fallback', (f) => fallbacks.push(`${f.wanted} -> ${f.protocol}`));
    await deduping.subscribe({ topics: [topic], fromBeginning: true });
    await plain.subscribe({ topics: [topic], fromBeginning: true });
    await deduping.run({
      eachMessage: dedup(async () => undefined, { deduplicator: new Deduplicator({ maxKeys: 1000 }) }),
    });
    await plain.run({ eachMessage: async () => undefined });
    await eventually(
      'the mixed group fell back',
      async () => (fallbacks.length > 0 ? true : undefined),
      60_000,
    );
    expect(new Set(fallbacks)).toEqual(new Set([`${CO_PARTITIONED_PROTOCOL} -> RoundRobinAssigner`]));
  }, 180_000);

  it('a group restarted on the DR cluster knows what it handled on the failed one: partitioned stores and their MM2 copies', async () => {
    const clusters = sharedClusters();
    const home = uniqueName('east');
    const dr = uniqueName('west');
    const topic = uniqueName('accounts');
    const group = uniqueName('ledger');
    const storeTopic = `${group}.mirrorkit-seen`;
    const storeCopy = policy.formatRemoteTopic(home, storeTopic);
    const eastKafka = kafkaFor(clusters.east);
    const westKafka = kafkaFor(clusters.west);
    onTestFailed(() => console.error(`---- MM2 log tail ----\n${mm2?.logTail(40)}`));
    await createTopics(eastKafka, [topic]);
    await createTopics(westKafka, [topic]);
    // MM2 copies the records and the store, and writes no checkpoints: the group restarted on the
    // DR cluster then replays its remote copy from the start, every record of which it handled.
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [home]: clusters.east, [dr]: clusters.west },
        flows: [`${home}->${dr}`],
        extra: { topics: `${topic}|${storeTopic}`, 'emit.checkpoints.enabled': 'false' },
      }),
    });
    const mk = (active: string) =>
      new MirrorKit({
        clusters: { [home]: { brokers: [clusters.east] }, [dr]: { brokers: [clusters.west] } },
        activeCluster: active,
        logLevel: logLevel.NOTHING,
      });
    const storesFor = () =>
      new SeenKeyStores({
        [home]: new PartitionedSeenKeyStore(eastKafka, { topic: storeTopic, partitions: PARTITIONS }),
        [dr]: new PartitionedSeenKeyStore(westKafka, {
          topic: storeTopic,
          partitions: PARTITIONS,
          copies: [storeCopy],
        }),
      });
    const handlings: Handlings = new Map();
    const handlers: DedupHandler<MirrorKitEachMessagePayload>[] = [];
    /** Two members of the group on `active`, each its own process in all but name: own seen-set, own stores. */
    const startGroup = async (active: string, names: readonly string[]) => {
      const kit = mk(active);
      for (const member of names) {
        const seen = new Deduplicator({ maxKeys: 10_000 });
        const stores = storesFor();
        closers.push(() => stores.close());
        await stores.open(seen, active);
        const handler = dedup(handle(handlings, member), { deduplicator: seen, store: stores });
        handlers.push(handler);
        const consumer = kit.consumer({ groupId: group, metadataRefreshMs: 60_000, progress: false });
        consumers.push(consumer);
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({ eachMessage: handler });
      }
    };

    await startGroup(home, ['home-1', 'home-2']);
    const handledHome = Array.from({ length: 400 }, (_, i) => `${home}:evt-${i}`);
    await produce(eastKafka, topic, handledHome);
    await eventually('the home group handled everything', async () =>
      handledHome.every((id) => handlings.has(id)) ? true : undefined,
    );
    // The disaster: only what MM2 copied before it is on the DR cluster. Wait for all of it, so
    // the figures below are exact (a key MM2 had not copied yet is handled again: MM2's lag).
    await eventually(
      'MM2 copied the records and the keys',
      async () =>
        (await recordCount(westKafka, policy.formatRemoteTopic(home, topic))) === 400 &&
        (await recordCount(westKafka, storeCopy)) === 400
          ? true
          : undefined,
      90_000,
    );
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));

    // The fleet restarts in the DR region: new processes, empty seen-sets, no committed offsets.
    const first = handlers.length;
    await startGroup(dr, ['dr-1', 'dr-2']);
    const handledDr = Array.from({ length: 100 }, (_, i) => `${dr}:evt-${i}`);
    await produce(westKafka, topic, handledDr);
    const drHandlers = handlers.slice(first);
    await eventually(
      'the DR group read both topics through',
      async () => {
        const stats = drHandlers.map((h) => h.stats());
        return stats.reduce((n, s) => n + s.processed + s.duplicates, 0) >= 500 ? true : undefined;
      },
      90_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(notOnce(handlings, [...handledHome, ...handledDr])).toEqual({});
    const stats = drHandlers.map((h) => h.stats());
    expect(stats.reduce((n, s) => n + s.duplicates, 0)).toBe(400);
    expect(stats.reduce((n, s) => n + s.processed, 0)).toBe(100);
    // Both DR members took part: the keys each needed were in its own store partitions' copies.
    expect(stats.every((s) => s.processed + s.duplicates > 0)).toBe(true);
  }, 240_000);
});
