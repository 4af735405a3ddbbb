import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  newestHeartbeat,
  readCheckpoints,
} from '@mirrorkit/core';
import {
  type KafkaCluster,
  type MirrorMakerProcess,
  mirrorMakerTestProperties,
  startCluster,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { consumeCount, eventually } from '../../../test/kafka-context.js';
import type { ClusterHealth, ConsumerEvents } from './client-events.js';
import type { MirrorKitConsumer } from './failover-consumer.js';
import type { MirrorKitProducer } from './failover-producer.js';
import { MirrorKit } from './mirror-kit.js';

// One consumer instance is cut off from the primary (its own fault proxy is blackholed) while the
// primary, MirrorMaker 2 and another instance of the same group still reach it: the split brain
// the guard exists to prevent. Ground truth comes from the clusters: the group's committed offsets
// on the DR cluster, and the records the other instance keeps reading on the primary.

const policy = new DefaultReplicationPolicy();

/**
 * MM2's names, except that it looks for heartbeats under a name MM2 never writes: from the client's
 * side, exactly a flow that replicates no heartbeats (`emit.heartbeats.enabled=false`, say).
 */
class NoHeartbeatsPolicy extends DefaultReplicationPolicy {
  override heartbeatsTopic(): string {
    return 'heartbeats-never-replicated';
  }
}
const TOPIC = 'orders';
const REMOTE = policy.formatRemoteTopic('us-east', TOPIC);
const PARTITIONS = 2;
// The demo's settings: probes every 500 ms, three failures over 1.5 s mean down.
const HEALTH = {
  intervalMs: 500,
  probeTimeoutMs: 1000,
  failureThreshold: 3,
  minFailureDurationMs: 1500,
  heartbeatIntervalMs: 1000,
};

const quiet = (bootstrap: string): Kafka =>
  new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, clientId: 'split-brain-test' });

interface Instance {
  consumer: MirrorKitConsumer;
  /** Records handled, per cluster they were read from. */
  seen: { cluster: string; key: string; at: number }[];
  events: {
    [K in
      | 'failover:held'
      | 'failover:start'
      | 'failover:complete'
      | 'failover:failed']: ConsumerEvents[K][0][];
  };
  eastHealth: ClusterHealth[];
  /** Ages of us-east's heartbeats on us-west, as this instance read them. */
  westAges: number[];
}

describe('split-brain guard: one instance cut off from a live primary (real brokers, real MM2)', () => {
  let east: KafkaCluster | undefined;
  let west: KafkaCluster | undefined;
  let mm2: MirrorMakerProcess | undefined;
  let produced = 0;
  const instances: Instance[] = [];
  const producers: MirrorKitProducer[] = [];

  const clusters = (): { east: KafkaCluster; west: KafkaCluster } => {
    if (!east || !west) throw new Error('clusters did not start');
    return { east, west };
  };

  /** MM2 reaching the primary directly, or through `via` (a proxy's address) when given. */
  let mm2Via: string | undefined;
  async function ensureMirrorMaker(via?: string): Promise<void> {
    if (mm2?.isRunning() && mm2Via === via) return;
    await mm2?.stop();
    const { east: e, west: w } = clusters();
    mm2Via = via;
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { 'us-east': via ?? e.bootstrapServers, 'us-west': w.bootstrapServers },
        flows: ['us-east->us-west'],
        extra: { 'us-east->us-west.topics': TOPIC, 'offset.lag.max': '10' },
      }),
    });
  }

  async function produce(count: number): Promise<void> {
    const producer = quiet(clusters().east.bootstrapServers).producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({
        partition: (produced + i) % PARTITIONS,
        key: `order-${produced + i}`,
        value: String(produced + i),
      })),
    });
    produced += count;
    await producer.disconnect();
  }

  /** The group's committed offsets on us-west, the DR cluster: what a failover writes. */
  const committedOnWest = (groupId: string): Promise<Record<number, string>> =>
    committedOn(clusters().west, groupId, REMOTE);

  async function committedOn(
    cluster: KafkaCluster,
    groupId: string,
    topic = TOPIC,
  ): Promise<Record<number, string>> {
    const admin = quiet(cluster.bootstrapServers).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return Object.fromEntries((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
    } finally {
      await admin.disconnect();
    }
  }

  /** A producer of the cut-off instance: it reaches us-east through proxy 0 only. */
  function cutOffProducer(splitBrainGuard: boolean): MirrorKitProducer {
    const mk = new MirrorKit({
      clusters: {
        'us-east': { brokers: [clusters().east.proxies[0]?.address ?? ''] },
        'us-west': { brokers: [clusters().west.bootstrapServers] },
      },
      activeCluster: 'us-east',
      policy,
      logLevel: logLevel.NOTHING,
    });
    const producer = mk.producer({
      automaticFailover: true,
      splitBrainGuard,
      topicAfterFailover: 'logical',
      health: HEALTH,
    });
    producers.push(producer);
    return producer;
  }

  /** Every key on `topic` of `cluster`, as the cluster holds it (ground truth, not the client's word). */
  async function keysOn(cluster: KafkaCluster, topic: string): Promise<string[]> {
    const kafka = quiet(cluster.bootstrapServers);
    const admin = kafka.admin();
    await admin.connect();
    let total = 0;
    try {
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) return [];
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    } finally {
      await admin.disconnect();
    }
    if (total === 0) return [];
    const read = await consumeCount(kafka, topic, total, { timeoutMs: 60_000 });
    return read.map((r) => r.key ?? '');
  }

  function instance(
    groupId: string,
    eastBroker: string,
    splitBrainGuard: boolean,
    namedBy: DefaultReplicationPolicy = policy,
  ): Instance {
    const mk = new MirrorKit({
      clusters: {
        'us-east': { brokers: [eastBroker] },
        'us-west': { brokers: [clusters().west.bootstrapServers] },
      },
      activeCluster: 'us-east',
      policy: namedBy,
      logLevel: logLevel.NOTHING,
    });
    const consumer = mk.consumer({
      groupId,
      automaticFailover: true,
      splitBrainGuard,
      health: HEALTH,
      metadataRefreshMs: 1000,
      // The broker's minimum session, so the other instance takes the cut-off one's partitions soon.
      kafkajs: { maxWaitTimeInMs: 500, sessionTimeout: 6000, heartbeatInterval: 1000 },
    });
    const made: Instance = {
      consumer,
      seen: [],
      events: { 'failover:held': [], 'failover:start': [], 'failover:complete': [], 'failover:failed': [] },
      eastHealth: [],
      westAges: [],
    };
    consumer.on('failover:held', (info) => made.events['failover:held'].push(info));
    consumer.on('failover:start', (info) => made.events['failover:start'].push(info));
    consumer.on('failover:complete', (report) => made.events['failover:complete'].push(report));
    consumer.on('failover:failed', (info) => made.events['failover:failed'].push(info));
    consumer.on('health', (health) => {
      if (health.alias === 'us-east') made.eastHealth.push(health);
      const age = health.alias === 'us-west' ? health.heartbeatAgeMs['us-east'] : undefined;
      if (age !== undefined) made.westAges.push(age);
    });
    instances.push(made);
    return made;
  }

  async function run(made: Instance): Promise<void> {
    await made.consumer.subscribe({ topics: [TOPIC], remote: true, fromBeginning: true });
    await made.consumer.run({
      eachMessage: async ({ message, cluster }) => {
        made.seen.push({ cluster, key: message.key?.toString() ?? '', at: Date.now() });
      },
    });
  }

  /**
   * A fleet of two instances of `groupId`: `cutOff` reaches us-east through proxy 0, `other`
   * through proxy 1. Resolves once both consume, the group's position is committed on us-east,
   * MM2 has checkpointed it on us-west, and MM2's heartbeats from us-east arrive fresh there.
   */
  async function steadyFleet(
    groupId: string,
    guard: boolean,
  ): Promise<{ cutOff: Instance; other: Instance }> {
    const { east: e, west: w } = clusters();
    const [proxy0, proxy1] = e.proxies;
    if (!proxy0 || !proxy1) throw new Error('us-east has no proxies');
    const cutOff = instance(groupId, proxy0.address, guard);
    const other = instance(groupId, proxy1.address, guard);
    await run(cutOff);
    await run(other);
    await produce(200);
    // The second instance may join only after the first has read all there was: keep writing a
    // little until both have partitions and records of their own.
    await eventually(
      `both instances of ${groupId} consume on us-east`,
      async () => {
        if (
          cutOff.seen.length > 0 &&
          other.seen.length > 0 &&
          cutOff.seen.length + other.seen.length >= produced
        )
          return true;
        await produce(10);
        return undefined;
      },
      90_000,
      1000,
    );
    await eventually(
      `a checkpoint of ${groupId} on us-west for every partition`,
      async () => {
        const read = await readCheckpoints(quiet(w.bootstrapServers), {
          sourceAlias: 'us-east',
          policy,
          group: groupId,
          timeoutMs: 5000,
        });
        return new Set(read.offsets.filter((o) => o.topic === REMOTE).map((o) => o.partition)).size ===
          PARTITIONS
          ? true
          : undefined;
      },
      150_000,
      500,
    );
    await eventually('fresh MM2 heartbeats from us-east on us-west', async () => {
      const newest = await newestHeartbeat(
        quiet(w.bootstrapServers),
        policy.formatRemoteTopic('us-east', policy.heartbeatsTopic()),
        'us-east',
      );
      return newest !== null && Date.now() - Number(newest) < 1500 ? true : undefined;
    });
    return { cutOff, other };
  }

  beforeAll(async () => {
    [east, west] = await Promise.all([
      startCluster({ alias: 'us-east', proxies: 2 }),
      startCluster({ alias: 'us-west' }),
    ]);
    // `orders` on both: us-west's own is where a producer that failed over writes.
    for (const cluster of [east, west]) {
      const admin = quiet(cluster.bootstrapServers).admin();
      await admin.connect();
      await createTopicsAndWait(admin, { topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
      await admin.disconnect();
    }
    await ensureMirrorMaker();
  }, 240_000);

  afterEach(async () => {
    // Heal first: a consumer disconnecting through a blackhole would wait for nothing.
    for (const proxy of east?.proxies ?? []) proxy.heal();
    await Promise.all([
      ...instances.splice(0).map((made) => made.consumer.disconnect().catch(() => undefined)),
      ...producers.splice(0).map((producer) => producer.disconnect().catch(() => undefined)),
    ]);
  });

  afterAll(async () => {
    await mm2?.stop();
    await Promise.all([east?.stop(), west?.stop()]);
  });

  it('guard off (documented behaviour): the cut-off instance fails over alone and commits on the DR cluster', async () => {
    onTestFailed(() => console.error(`---- MM2 ----\n${mm2?.logTail(40) ?? '(not running)'}`));
    await ensureMirrorMaker();
    const groupId = 'billing-unguarded';
    const { cutOff, other } = await steadyFleet(groupId, false);
    const before = await committedOnWest(groupId);
    // Nothing committed on the DR cluster yet: MM2 does not sync group offsets here.
    expect(Object.values(before).every((offset) => offset === '-1')).toBe(true);

    const cutAt = Date.now();
    clusters().east.proxies[0]?.blackhole();
    const report = await eventually(
      'the cut-off instance to fail over',
      async () => cutOff.events['failover:complete'][0],
      30_000,
    );
    const doneMs = Date.now() - cutAt;

    expect(report.from).toBe('us-east');
    expect(report.to).toBe('us-west');
    expect(report.reason).toBe('automatic');
    expect(report.committed).toBe(true);
    expect(cutOff.consumer.activeCluster).toBe('us-west');
    expect(cutOff.events['failover:held']).toEqual([]);
    // The split brain, from the clusters: the group's offsets were written on us-west while the
    // rest of the fleet still reads us-east.
    const after = await committedOnWest(groupId);
    expect(after).not.toEqual(before);
    expect(Object.values(after).every((offset) => Number(offset) >= 0)).toBe(true);
    expect(other.consumer.activeCluster).toBe('us-east');
    expect(other.events['failover:start']).toEqual([]);
    console.log(`[split-brain:off] the cut-off instance had failed over ${doneMs} ms after the cut`);
  }, 300_000);

  it('guard on: the cut-off instance holds while MM2 still delivers heartbeats, and goes once they stop', async () => {
    onTestFailed(() => console.error(`---- MM2 ----\n${mm2?.logTail(40) ?? '(not running)'}`));
    await ensureMirrorMaker();
    const groupId = 'billing-guarded';
    // A third instance, of another group, cut off alike, that finds no heartbeats on us-west.
    const blindGroup = 'billing-blind';
    const blind = instance(
      blindGroup,
      clusters().east.proxies[0]?.address ?? '',
      true,
      new NoHeartbeatsPolicy(),
    );
    await run(blind);
    const { cutOff, other } = await steadyFleet(groupId, true);
    // The cut-off instance's producer, guarded by the same rule as its consumer.
    const producer = cutOffProducer(true);
    const producerHeld: { reason: string }[] = [];
    const producerStarts: string[] = [];
    producer.on('failover:held', (info) => producerHeld.push(info));
    producer.on('failover:start', (info) => producerStarts.push(info.to));
    await producer.connect();
    await eventually('the blind instance to consume', async () => (blind.seen.length > 0 ? true : undefined));
    const before = await committedOnWest(groupId);
    expect(Object.values(before).every((offset) => offset === '-1')).toBe(true);
    const blindBefore = await committedOnWest(blindGroup);

    const cutAt = Date.now();
    clusters().east.proxies[0]?.blackhole();
    const held = await eventually(
      'the cut-off instance to hold its failover',
      async () => cutOff.events['failover:held'][0],
      30_000,
    );
    const heldAt = Date.now();
    expect(held).toMatchObject({
      from: 'us-east',
      to: 'us-west',
      reason: 'heartbeats-fresh',
      silenceMs: 2000,
    });
    expect(held.heartbeatAgeMs).not.toBeNull();
    expect(held.heartbeatAgeMs as number).toBeLessThan(2000);
    // The guard cannot tell for the blind instance: it holds at once, and says why.
    const blindHeld = await eventually(
      'the blind instance to hold',
      async () => blind.events['failover:held'][0],
      10_000,
    );
    expect(blindHeld).toMatchObject({ from: 'us-east', to: 'us-west', reason: 'no-heartbeats' });
    expect(blindHeld.heartbeatAgeMs).toBeNull();
    const failuresAtHold = cutOff.eastHealth.at(-1)?.consecutiveFailures ?? 0;
    expect(failuresAtHold).toBeGreaterThanOrEqual(HEALTH.failureThreshold);

    // Records written to the live primary meanwhile, which the rest of the fleet must read there.
    const agesFrom = cutOff.westAges.length;
    const beforeCut = produced;
    await produce(100);
    // Five times the silence, and more than the other instance needs to take over the partitions
    // (a 6 s session): a failover the guard let through would have happened by now.
    await new Promise((resolveWait) => setTimeout(resolveWait, 12_000));

    expect(cutOff.events['failover:start']).toEqual([]);
    expect(cutOff.consumer.activeCluster).toBe('us-east');
    expect(await committedOnWest(groupId)).toEqual(before);
    // It kept probing (and failing) all along.
    expect(cutOff.eastHealth.at(-1)?.consecutiveFailures ?? 0).toBeGreaterThan(failuresAtHold + 5);
    expect(cutOff.eastHealth.at(-1)?.reachable).toBe(false);
    // Held once: the same reason is not repeated on every probe.
    expect(cutOff.events['failover:held'].map((h) => h.reason)).toEqual(['heartbeats-fresh']);
    // The primary was alive the whole time: the other instance read the new records there.
    await eventually('the other instance to read the new records on us-east', async () => {
      const fresh = new Set(
        other.seen
          .filter((s) => s.cluster === 'us-east' && Number(s.key.split('-')[1]) >= beforeCut)
          .map((s) => s.key),
      );
      return fresh.size === produced - beforeCut ? true : undefined;
    });
    expect(other.consumer.activeCluster).toBe('us-east');
    expect(other.events['failover:start']).toEqual([]);
    expect(other.events['failover:held']).toEqual([]);

    const agesDuringHold = cutOff.westAges.slice(agesFrom);
    // Its heartbeat reads went on during the hold, and all found MM2 delivering.
    expect(agesDuringHold.length).toBeGreaterThan(5);
    expect(Math.max(...agesDuringHold)).toBeLessThan(2000);
    expect(blind.events['failover:start']).toEqual([]);
    // Its producer held too, for the same reason, and still sends to us-east.
    expect(producerHeld.map((h) => h.reason)).toEqual(['heartbeats-fresh']);
    expect(producerStarts).toEqual([]);
    expect(producer.activeCluster).toBe('us-east');

    // Now the replication path goes dark too: the evidence agrees, and the held failover goes on
    // a later health event (there is no second 'unhealthy' for an outage already under way).
    const mm2KilledAt = Date.now();
    await mm2?.kill();
    const report = await eventually(
      'the held failover to go once heartbeats are silent',
      async () => cutOff.events['failover:complete'][0],
      30_000,
    );
    const wentAfterMs = Date.now() - mm2KilledAt;
    // The producer goes with it, and its next send lands on us-west's own orders.
    await eventually('the producer to fail over', async () =>
      producer.activeCluster === 'us-west' && producer.switching === null ? true : undefined,
    );
    expect(producerStarts).toEqual(['us-west']);
    const [written] = await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: [{ key: 'after-hold', value: 'x' }],
    });
    expect(written?.topicName).toBe(TOPIC);
    expect(await keysOn(clusters().west, TOPIC)).toContain('after-hold');
    await producer.disconnect();
    expect(report.from).toBe('us-east');
    expect(report.to).toBe('us-west');
    expect(report.reason).toBe('automatic');
    expect(cutOff.consumer.activeCluster).toBe('us-west');
    const after = await committedOnWest(groupId);
    expect(after).not.toEqual(before);
    expect(Object.values(after).every((offset) => Number(offset) >= 0)).toBe(true);
    // Silence it cannot see proves nothing to the blind instance: it never moved, and said so once.
    expect(blind.events['failover:start']).toEqual([]);
    expect(blind.consumer.activeCluster).toBe('us-east');
    expect(await committedOnWest(blindGroup)).toEqual(blindBefore);
    expect(blind.events['failover:held'].map((h) => h.reason)).toEqual(['no-heartbeats']);
    console.log(
      `[split-brain:on] held ${heldAt - cutAt} ms after the cut (heartbeat age ${held.heartbeatAgeMs} ms); ` +
        `heartbeat ages during the hold ${Math.min(...agesDuringHold)}..${Math.max(...agesDuringHold)} ms ` +
        `(${agesDuringHold.length} reads); failed over ${wentAfterMs} ms after MM2 was killed`,
    );
  }, 300_000);
  it('a: the primary blackholed for the whole fleet and MM2: the fleet fails over; once healed, nothing writes to or reads from the old primary', async () => {
    onTestFailed(() => console.error(`---- MM2 ----\n${mm2?.logTail(40) ?? '(not running)'}`));
    const { east: e, west: w } = clusters();
    const [proxy0, proxy1] = e.proxies;
    if (!proxy0 || !proxy1) throw new Error('us-east has no proxies');
    // Everything reaches us-east through a proxy now, MM2 included: a partition of the primary's
    // network, which the proxies turn on for all at once.
    await ensureMirrorMaker(proxy1.address);
    const groupId = 'billing-blackholed';
    const { cutOff: first, other: second } = await steadyFleet(groupId, true);
    const fleet = [first, second];

    const mk = new MirrorKit({
      clusters: {
        'us-east': { brokers: [proxy1.address] },
        'us-west': { brokers: [w.bootstrapServers] },
      },
      activeCluster: 'us-east',
      policy,
      logLevel: logLevel.NOTHING,
    });
    const producer: MirrorKitProducer = mk.producer({
      automaticFailover: true,
      topicAfterFailover: 'logical',
      health: HEALTH,
      sendTimeoutMs: 60_000,
    });
    const producerEvents: { start: number[]; complete: number[]; errors: string[] } = {
      start: [],
      complete: [],
      errors: [],
    };
    producer.on('failover:start', () => producerEvents.start.push(Date.now()));
    producer.on('failover:complete', () => producerEvents.complete.push(Date.now()));
    producer.on('error', (error) => producerEvents.errors.push(error.message));
    await producer.connect();

    // The application's writer: a send every 20 ms, never waiting for the one before, each noted
    // with whether it was made after the producer's failover began.
    interface Sent {
      key: string;
      madeAfterSwitch: boolean;
      acked: boolean;
      error?: string;
    }
    const sent: Sent[] = [];
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const entry: Sent = {
          key: `w-${n++}`,
          madeAfterSwitch: producerEvents.start.length > 0,
          acked: false,
        };
        sent.push(entry);
        producer.send({ topic: TOPIC, acks: -1, messages: [{ key: entry.key, value: entry.key }] }).then(
          () => {
            entry.acked = true;
          },
          (error: unknown) => {
            entry.error = String(error);
          },
        );
        await new Promise((resolveTick) => setTimeout(resolveTick, 20));
      }
    })();
    await eventually('the writer to reach us-east', async () =>
      first.seen.some((s) => s.key.startsWith('w-')) || second.seen.some((s) => s.key.startsWith('w-'))
        ? true
        : undefined,
    );

    const cutAt = Date.now();
    onTestFailed(() =>
      console.error(
        `---- state at failure ----\n${JSON.stringify(
          {
            msSinceCut: Date.now() - cutAt,
            producer: { ...producerEvents, active: producer.activeCluster, switching: producer.switching },
            sends: {
              made: sent.length,
              acked: sent.filter((s) => s.acked).length,
              failed: sent.filter((s) => s.error !== undefined).length,
              madeAfterSwitch: sent.filter((s) => s.madeAfterSwitch).length,
              ackedAfterSwitch: sent.filter((s) => s.madeAfterSwitch && s.acked).length,
            },
            fleet: fleet.map((made) => ({
              active: made.consumer.activeCluster,
              held: made.events['failover:held'],
              started: made.events['failover:start'].length,
              completed: made.events['failover:complete'].length,
              failed: made.events['failover:failed'].map((f) => `${f.attempt}: ${f.error.message}`),
              lastEast: made.eastHealth.at(-1),
            })),
          },
          null,
          1,
        )}`,
      ),
    );
    proxy0.blackhole();
    proxy1.blackhole();
    await eventually(
      'both instances and the producer to fail over',
      async () =>
        fleet.every((made) => made.events['failover:complete'].length > 0) &&
        producerEvents.complete.length > 0
          ? true
          : undefined,
      60_000,
    );
    // RTO: from the cut to the first record of the writer handled on the DR cluster.
    const firstOnWest = await eventually(
      'a record of the writer handled on us-west',
      async () => {
        const handledAt = fleet
          .flatMap((made) => made.seen)
          .filter((s) => s.cluster === 'us-west' && s.key.startsWith('w-'))
          .map((s) => s.at);
        return handledAt.length > 0 ? Math.min(...handledAt) : undefined;
      },
      30_000,
    );
    const rtoMs = firstOnWest - cutAt;
    // Sends go on acknowledged by us-west.
    const ackedBeforeHeal = sent.filter((s) => s.acked).length;
    await eventually('sends made after the switch to be acknowledged', async () =>
      sent.filter((s) => s.madeAfterSwitch && s.acked).length >= 50 ? true : undefined,
    );

    // Heal: the primary is back, with whatever bytes the partition held.
    const eastBeforeHeal = await keysOn(e, TOPIC);
    const healAt = Date.now();
    proxy0.heal();
    proxy1.heal();
    const eastGroupBefore = await committedOn(e, groupId);
    await new Promise((resolveWait) => setTimeout(resolveWait, 12_000));
    writing = false;
    await writer;
    await eventually('every send to be answered', async () =>
      sent.every((s) => s.acked || s.error !== undefined) ? true : undefined,
    );

    // Nobody went back: one writer and one reader side, us-west.
    expect(producer.activeCluster).toBe('us-west');
    expect(producerEvents.start).toHaveLength(1);
    for (const made of fleet) {
      expect(made.consumer.activeCluster).toBe('us-west');
      // A try that failed under the partition is retried (failover:failed, then a new start), but
      // every start went one way, and one of them finished.
      expect(made.events['failover:start'].map((f) => `${f.kind} to ${f.to}`)).toEqual(
        made.events['failover:start'].map(() => 'failover to us-west'),
      );
      expect(made.events['failover:complete']).toHaveLength(1);
      expect(made.seen.filter((s) => s.cluster === 'us-east' && s.at > healAt)).toEqual([]);
    }
    expect(await committedOn(e, groupId)).toEqual(eastGroupBefore);
    // Every send was acknowledged: the failover hid the outage from the application.
    expect(sent.filter((s) => s.error !== undefined).map((s) => s.error)).toEqual([]);

    // Ground truth. What reached us-east after the heal can only be tries in flight at the cut,
    // which the partition held and delivered: never a send made after the switch.
    const eastAfter = await keysOn(e, TOPIC);
    const madeAfterSwitch = new Set(sent.filter((s) => s.madeAfterSwitch).map((s) => s.key));
    const secondWriter = eastAfter.filter((key) => madeAfterSwitch.has(key));
    expect(secondWriter).toEqual([]);
    const lateOnEast = eastAfter.length - eastBeforeHeal.length;
    // MM2 copies those late records as well; then the group must have handled every record that
    // exists on the cluster it now reads, and every acknowledged send exists somewhere.
    await eventually(
      'MM2 to copy what us-east holds',
      async () => ((await keysOn(w, REMOTE)).length >= eastAfter.length ? true : undefined),
      90_000,
      1000,
    );
    const onWest = [...(await keysOn(w, REMOTE)), ...(await keysOn(w, TOPIC))];
    const onClusters = new Set([...eastAfter, ...onWest]);
    const acked = sent.filter((s) => s.acked).map((s) => s.key);
    const lost = acked.filter((key) => !onClusters.has(key));
    expect(lost).toEqual([]);
    const handled = fleet.flatMap((made) => made.seen.map((s) => s.key));
    await eventually(
      'the group to handle every record on us-west',
      async () => {
        const now = new Set(fleet.flatMap((made) => made.seen.map((s) => s.key)));
        return onWest.every((key) => now.has(key)) ? true : undefined;
      },
      60_000,
    );
    const handledKeys = new Set(fleet.flatMap((made) => made.seen.map((s) => s.key)));
    const skipped = [...onClusters].filter((key) => !handledKeys.has(key));
    expect(skipped).toEqual([]);
    const handledAll = fleet.flatMap((made) => made.seen.map((s) => s.key));
    const duplicates = handledAll.length - handledKeys.size;
    console.log(
      `[blackhole] fleet failed over; RTO ${rtoMs} ms (cut → first record handled on us-west); ` +
        `producer switched ${(producerEvents.start[0] ?? cutAt) - cutAt} ms, done ${(producerEvents.complete[0] ?? cutAt) - cutAt} ms after the cut; ` +
        `${acked.length} sends acknowledged (${ackedBeforeHeal} before the heal), lost 0, skipped 0, ` +
        `duplicates handled ${duplicates} (of ${handledAll.length}); late on us-east after the heal ${lateOnEast}, ` +
        `made after the switch 0; handled before the end ${handled.length}; failed consumer tries: ` +
        `${JSON.stringify(fleet.map((made) => made.events['failover:failed'].map((f) => f.error.message)))}`,
    );
    writing = false;
    await producer.disconnect();
  }, 420_000);
});
