import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { dedupBatch } from './dedup/dedup-batch-handler.js';
import { dedup } from './dedup/dedup-handler.js';
import { Deduplicator } from './dedup/deduplicator.js';
import { HybridLogicalClock } from './lww/hybrid-logical-clock.js';
import type { LwwEntry } from './lww/lww.js';
import { lww } from './lww/lww-handler.js';
import { stampMessage } from './lww/record-stamp.js';
import { KafkaSeenKeyStore } from './seen-keys/seen-key-store.js';

const EVENTS_PER_REGION = 1000;
const ACCOUNTS = 20;

interface Region {
  alias: string;
  kafka: Kafka;
  clock: HybridLogicalClock;
  /** The application's state (its database): survives consumer restarts. */
  state: Map<string, LwwEntry<number>>;
  /** How many times the application handled each event id, across consumer instances. */
  handled: Map<string, number>;
  consumer: Consumer | null;
  store: KafkaSeenKeyStore | null;
  /** Per consumer instance: keys restored from the seen-key topic, and the dedup counters. */
  instances: { restored: number; stats: () => { duplicates: number } }[];
}

describe('active-active on real brokers with two MirrorMaker 2 flows', () => {
  let mm2: MirrorMakerProcess | undefined;
  const regions: Region[] = [];
  afterEach(async () => {
    for (const r of regions) {
      await r.consumer?.disconnect();
      await r.store?.close();
    }
    regions.length = 0;
    await mm2?.stop();
    mm2 = undefined;
  });

  it('each region handles every event exactly once (also across a restart) and LWW state converges', async () => {
    const { east, west } = sharedClusters();
    onTestFailed(() => console.error(`---- MM2 log tail ----\n${mm2?.logTail(60)}`));
    // Unique aliases and topic: this MM2 has its own internal topics on the shared clusters.
    const a = uniqueName('east');
    const b = uniqueName('west');
    const topic = uniqueName('accounts');
    const group = uniqueName('ledger');
    const policy = new DefaultReplicationPolicy();
    const make = (alias: string, bootstrap: string, skewMs: number): Region => ({
      alias,
      kafka: kafkaFor(bootstrap),
      // us-west's clock runs 3 s behind: last-write-wins must still follow causality.
      clock: new HybridLogicalClock({ region: alias, now: () => Date.now() + skewMs }),
      state: new Map(),
      handled: new Map(),
      consumer: null,
      store: null,
      instances: [],
    });
    const ra = make(a, east, 0);
    const rb = make(b, west, -3000);
    regions.push(ra, rb);
    for (const r of regions) {
      const admin = r.kafka.admin();
      await admin.connect();
      await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 3 }] });
      await admin.disconnect();
    }
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [a]: east, [b]: west },
        flows: [`${a}->${b}`, `${b}->${a}`],
        extra: { topics: topic },
      }),
    });

    // Plain kafkajs subscribes only to topics that exist: wait for MM2 to create the remote ones.
    for (const [r, other] of [
      [ra, b],
      [rb, a],
    ] as const) {
      await eventually(`${policy.formatRemoteTopic(other, topic)} on ${r.alias}`, async () => {
        const admin = r.kafka.admin();
        await admin.connect();
        try {
          return (await admin.listTopics()).includes(policy.formatRemoteTopic(other, topic))
            ? true
            : undefined;
        } finally {
          await admin.disconnect();
        }
      });
    }

    async function startConsumer(r: Region, other: string, autoCommit: boolean): Promise<void> {
      const seen = new Deduplicator({ maxKeys: 100_000, windowMs: 3600_000 });
      const store = new KafkaSeenKeyStore(r.kafka, {
        topic: `${group}.mirrorkit-seen`,
        retentionMs: 3600_000,
      });
      const { restored } = await store.open(seen);
      const apply = lww<EachMessagePayload, number>({
        clock: r.clock,
        store: { get: (k) => r.state.get(k), put: (k, e) => void r.state.set(k, e) },
        writeOf: ({ message }) => {
          const body = JSON.parse(message.value?.toString() ?? '{}') as { account: string; amount: number };
          return { key: body.account, value: body.amount };
        },
      });
      const consumer = r.kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({
        topics: [topic, policy.formatRemoteTopic(other, topic)],
        fromBeginning: true,
      });
      const handle = async (payload: EachMessagePayload) => {
        const id = payload.message.key?.toString() ?? '';
        r.handled.set(id, (r.handled.get(id) ?? 0) + 1);
        await apply(payload);
      };
      // us-east runs dedup() one partition at a time; us-west runs dedupBatch() over three
      // partitions at once, so copies of one event (local and remote topic) meet concurrently.
      if (r.alias === a) {
        const handler = dedup<EachMessagePayload>(handle, { deduplicator: seen, store });
        r.instances.push({ restored, stats: handler.stats });
        await consumer.run({ autoCommit, eachMessage: handler });
      } else {
        const handler = dedupBatch(handle, { deduplicator: seen, store });
        r.instances.push({ restored, stats: handler.stats });
        await consumer.run({ autoCommit, ...handler.runConfig, partitionsConsumedConcurrently: 3 });
      }
      r.consumer = consumer;
      r.store = store;
    }

    async function produce(
      r: Region,
      messages: { id: string; account: string; amount: number }[],
      to: Region[],
    ) {
      const stamped = messages.map((m) =>
        stampMessage({ key: m.id, value: JSON.stringify({ account: m.account, amount: m.amount }) }, r.clock),
      );
      for (const target of to) {
        const producer = target.kafka.producer({ idempotent: true });
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: stamped });
        await producer.disconnect();
      }
    }

    // The first us-east consumer commits nothing: after its restart every record comes again, and
    // only the persisted seen-keys stop it from handling them twice.
    await startConsumer(ra, b, false);
    await startConsumer(rb, a, true);

    const events = (r: Region, from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({
        id: `${r.alias}:evt-${from + i}`,
        account: `acct-${(from + i) % ACCOUNTS}`,
        amount: from + i,
      }));
    // Every 10th event is also sent to the other region, as a client retrying there would.
    const half = EVENTS_PER_REGION / 2;
    for (const [r, other] of [
      [ra, rb],
      [rb, ra],
    ] as const) {
      const batch = events(r, 0, half);
      await produce(
        r,
        batch.filter((_, i) => i % 10 !== 0),
        [r],
      );
      await produce(
        r,
        batch.filter((_, i) => i % 10 === 0),
        [r, other],
      );
    }
    await eventually('us-east handled half of the events', async () =>
      ra.handled.size >= half ? true : undefined,
    );

    // Restart us-east's consumer mid-stream, with a fresh in-memory seen-set.
    await ra.consumer?.disconnect();
    await ra.store?.close();
    ra.consumer = null;
    await startConsumer(ra, b, true);

    for (const [r, other] of [
      [ra, rb],
      [rb, ra],
    ] as const) {
      const batch = events(r, half, EVENTS_PER_REGION);
      await produce(
        r,
        batch.filter((_, i) => i % 10 !== 0),
        [r],
      );
      await produce(
        r,
        batch.filter((_, i) => i % 10 === 0),
        [r, other],
      );
    }

    // Causality under skew: us-west overwrites acct-causal after it has seen us-east's write.
    await produce(ra, [{ id: `${a}:causal-1`, account: 'acct-causal', amount: 1 }], [ra]);
    await eventually('us-west saw the causal write', async () =>
      rb.state.has('acct-causal') ? true : undefined,
    );
    await produce(rb, [{ id: `${b}:causal-2`, account: 'acct-causal', amount: 2 }], [rb]);

    const allIds = new Set([
      ...events(ra, 0, EVENTS_PER_REGION).map((e) => e.id),
      ...events(rb, 0, EVENTS_PER_REGION).map((e) => e.id),
      `${a}:causal-1`,
      `${b}:causal-2`,
    ]);
    for (const r of regions) {
      await eventually(
        `${r.alias} handled all ${allIds.size} events`,
        async () => ([...allIds].every((id) => r.handled.has(id)) ? true : undefined),
        120_000,
      );
    }
    // Let any late duplicate (a replayed or mirrored copy) arrive before judging.
    await new Promise((resolveWait) => setTimeout(resolveWait, 3000));

    for (const r of regions) {
      const twice = [...r.handled].filter(([, n]) => n !== 1);
      expect(twice, `${r.alias} handled some events more than once`).toEqual([]);
      expect(r.handled.size).toBe(allIds.size);
    }
    const view = (r: Region) =>
      Object.fromEntries([...r.state].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, e]) => [k, e.value]));
    expect(view(ra)).toEqual(view(rb));
    expect(Object.keys(view(ra))).toHaveLength(ACCOUNTS + 1);
    expect(ra.state.get('acct-causal')?.value).toBe(2);
    // The paths that needed dedup were taken: copies sent to both regions arrived twice in each,
    // and the restarted us-east consumer re-read everything its predecessor handled.
    const [first, second] = ra.instances;
    expect(first?.restored).toBe(0);
    expect(second?.restored).toBeGreaterThanOrEqual(half);
    expect(second?.stats().duplicates).toBeGreaterThanOrEqual(second?.restored ?? Number.POSITIVE_INFINITY);
    expect(rb.instances[0]?.stats().duplicates).toBeGreaterThanOrEqual(EVENTS_PER_REGION / 10);
    expect(rb.state.get('acct-causal')?.value).toBe(2);
  }, 240_000);
});
