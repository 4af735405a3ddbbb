import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTopicsAndWait, DefaultReplicationPolicy, readTopicToEnd } from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import type { Consumer, Kafka } from 'kafkajs';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  eventually,
  kafkaFor,
  recordCount,
  sharedClusters,
  uniqueName,
} from '../../../../test/kafka-context.js';
import { decodeSeenKey } from '../seen-keys/seen-key-codec.js';
import { CoPartitioning } from './co-partitioned-assigner.js';
import type { PartitionCountMismatch } from './co-partitioned-assignment.js';

// The member runs the built package: `pnpm -s build` first.
const MEMBER = fileURLToPath(new URL('../../test-support/group-member.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const policy = new DefaultReplicationPolicy();

interface MemberLine {
  event: string;
  at: number;
  [field: string]: unknown;
}

/** A member's `restored` report: a partition's keys restored, and how long its first record waited. */
interface RestoredLine {
  at: number;
  partition: number;
  restored: number;
  durationMs: number;
  waitedMs: number;
}

interface Member {
  name: string;
  child: ChildProcess;
  lines: MemberLine[];
  log: string;
}

interface Setup {
  east: Kafka;
  west: Kafka;
  a: string;
  b: string;
  topic: string;
  remote: string;
  group: string;
  handledTopic: string;
  storeTopic: string;
  partitions: number;
  westBootstrap: string;
}

describe('co-partitioned dedup across a consumer group of three instances (real brokers, real MM2)', () => {
  let mm2: MirrorMakerProcess | undefined;
  const members: Member[] = [];
  afterEach(async () => {
    for (const m of members)
      if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
    members.length = 0;
    await mm2?.stop();
    mm2 = undefined;
  });

  async function setup(partitions: number): Promise<Setup> {
    expect(existsSync(DIST), 'run `pnpm -s build` first: the members run dist/').toBe(true);
    const clusters = sharedClusters();
    onTestFailed(() => {
      console.error(`---- MM2 log tail ----\n${mm2?.logTail(40)}`);
      for (const m of members) console.error(`---- ${m.name} ----\n${m.log.slice(-3000)}`);
    });
    const s: Setup = {
      east: kafkaFor(clusters.east),
      west: kafkaFor(clusters.west),
      a: uniqueName('east'),
      b: uniqueName('west'),
      topic: uniqueName('accounts'),
      remote: '',
      group: uniqueName('ledger'),
      handledTopic: uniqueName('handled'),
      storeTopic: '',
      partitions,
      westBootstrap: clusters.west,
    };
    s.remote = policy.formatRemoteTopic(s.a, s.topic);
    s.storeTopic = `${s.group}.mirrorkit-seen`;
    for (const [kafka, topics] of [
      [s.east, [s.topic]],
      // The remote copy exists before MM2 starts (same count, as MM2 would make it), so the group
      // subscribes to both topics and is whole before MM2 runs.
      [s.west, [s.topic, s.remote, s.handledTopic]],
    ] as const) {
      const admin = kafka.admin();
      await admin.connect();
      await createTopicsAndWait(admin, {
        topics: topics.map((topic) => ({ topic, numPartitions: topic === s.handledTopic ? 1 : partitions })),
      });
      await admin.disconnect();
    }
    return s;
  }

  function spawnMember(
    s: Setup,
    name: string,
    follow: 'consumer' | 'assigner' = 'consumer',
    mode: 'dedup' | 'eos' = 'dedup',
    extra: { concurrency?: number; stallAt?: number } = {},
  ): Member {
    const config = {
      follow,
      mode,
      ...extra,
      member: name,
      bootstrap: s.westBootstrap,
      group: s.group,
      topics: [s.topic, s.remote],
      storeTopic: s.storeTopic,
      handledTopic: s.handledTopic,
      partitions: s.partitions,
    };
    const child = spawn(process.execPath, [MEMBER, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m: Member = { name, child, lines: [], log: '' };
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        m.log += `${line}\n`;
        m.lines.push(JSON.parse(line) as MemberLine);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      m.log += chunk.toString();
    });
    members.push(m);
    return m;
  }

  const lastJoin = (m: Member): readonly number[] | undefined =>
    m.lines.findLast((l) => l.event === 'joined')?.partitions as number[] | undefined;

  /** Until the live members' last joins split all partition numbers between them, each getting some. */
  async function groupSettled(s: Setup, live: Member[]): Promise<void> {
    await eventually(
      `${live.length} members share ${s.partitions} partition numbers`,
      async () => {
        const admin = s.west.admin();
        await admin.connect();
        try {
          const { groups } = await admin.describeGroups([s.group]);
          if (groups[0]?.state !== 'Stable' || groups[0].members.length !== live.length) return undefined;
        } finally {
          await admin.disconnect();
        }
        const joins = live.map(lastJoin);
        if (joins.some((j) => j === undefined || j.length === 0)) return undefined;
        const all = joins.flatMap((j) => j ?? []).sort((x, y) => x - y);
        return all.length === s.partitions && all.every((p, i) => p === i) ? true : undefined;
      },
      60_000,
    );
  }

  async function produce(kafka: Kafka, topic: string, ids: string[]): Promise<void> {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // Default partitioner, same key and count in both regions: both copies land in partition p.
    await producer.send({ topic, acks: -1, messages: ids.map((id) => ({ key: id, value: id })) });
    await producer.disconnect();
  }

  /** Events of both regions; every third is also sent to the other region (a client retrying there). */
  async function produceEvents(s: Setup, from: number, to: number): Promise<string[]> {
    const ids: string[] = [];
    for (const [region, local, other] of [
      [s.a, s.east, s.west],
      [s.b, s.west, s.east],
    ] as const) {
      const batch = Array.from({ length: to - from }, (_, i) => `${region}:evt-${from + i}`);
      ids.push(...batch);
      await produce(local, s.topic, batch);
      await produce(
        other,
        s.topic,
        batch.filter((_, i) => (from + i) % 3 === 0),
      );
    }
    return ids;
  }

  /** Until MM2 copied all of us-east's topic and the group committed everything of both topics. */
  async function drained(s: Setup): Promise<void> {
    await eventually(
      'MM2 copied everything and the group committed it all',
      async () => {
        if ((await recordCount(s.west, s.remote)) !== (await recordCount(s.east, s.topic))) return undefined;
        const admin = s.west.admin();
        await admin.connect();
        try {
          for (const topic of [s.topic, s.remote]) {
            const high = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
            const [committed] = await admin.fetchOffsets({ groupId: s.group, topics: [topic] });
            for (const p of committed?.partitions ?? [])
              if (p.offset !== high.get(p.partition)) return undefined;
          }
          return true;
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
    );
  }

  /** The ground truth: every handling on the handled topic, by event id. */
  async function handlings(s: Setup): Promise<Map<string, { member: string; at: bigint }[]>> {
    const byId = new Map<string, { member: string; at: bigint }[]>();
    for (const r of await readTopicToEnd(s.west, s.handledTopic)) {
      const id = r.key?.toString() ?? '';
      const { member } = JSON.parse(r.value?.toString() ?? '{}') as { member: string };
      byId.set(id, [...(byId.get(id) ?? []), { member, at: r.timestamp }]);
    }
    return byId;
  }

  /** Every handling in the handled topic's log, aborted transactions' included (read_uncommitted). */
  async function uncommittedHandlings(s: Setup): Promise<{ id: string; member: string }[]> {
    const all: { id: string; member: string }[] = [];
    const reader = s.west.consumer({
      groupId: uniqueName('uncommitted'),
      readUncommitted: true,
      maxWaitTimeInMs: 100,
    });
    await reader.connect();
    try {
      await reader.subscribe({ topics: [s.handledTopic], fromBeginning: true });
      let lastAt = Date.now();
      await reader.run({
        eachMessage: async ({ message }) => {
          const { member } = JSON.parse(message.value?.toString() ?? '{}') as { member: string };
          all.push({ id: message.key?.toString() ?? '', member });
          lastAt = Date.now();
        },
      });
      await eventually('the whole log read', async () =>
        all.length > 0 && Date.now() - lastAt > 2000 ? true : undefined,
      );
    } finally {
      await reader.disconnect();
    }
    return all;
  }

  async function startMm2(s: Setup, east: string): Promise<void> {
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [s.a]: east, [s.b]: s.westBootstrap },
        flows: [`${s.a}->${s.b}`, `${s.b}->${s.a}`],
        extra: { topics: s.topic },
      }),
    });
  }

  it('each event, including those sent to both regions, is handled exactly once by the group', async () => {
    // 4 partitions: kafkajs's round-robin puts orders[p] and us-east.orders[p] on different
    // members here, and every event sent to both regions was handled twice (issue #18).
    const s = await setup(4);
    const live = ['m1', 'm2', 'm3'].map((name) => spawnMember(s, name));
    await groupSettled(s, live);
    await startMm2(s, sharedClusters().east);
    const ids = await produceEvents(s, 0, 300);
    await drained(s);

    const handled = await handlings(s);
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    const twice = [...handled].filter(([, h]) => h.length !== 1).map(([id]) => id);
    expect(twice, 'events handled more than once').toEqual([]);
    // Every member did work, and every copy sent to both regions reached a member twice.
    const byMember = new Set([...handled.values()].map((h) => h[0]?.member));
    expect([...byMember].sort()).toEqual(['m1', 'm2', 'm3']);
    const duplicates = () =>
      live.reduce(
        (n, m) => n + ((m.lines.findLast((l) => l.event === 'stats')?.duplicates as number | undefined) ?? 0),
        0,
      );
    await eventually(
      'the copies counted as duplicates',
      async () => (duplicates() >= 200 ? true : undefined),
      10_000,
    );
    // Co-partitioned: each member holds the same partition numbers of both topics.
    for (const m of live) {
      const assignment = m.lines.findLast((l) => l.event === 'joined')?.assignment as Record<
        string,
        number[]
      >;
      expect(assignment[s.topic]).toEqual(assignment[s.remote]);
    }
  }, 150_000);

  it('SIGKILL mid-stream and a join: once each, but for records in hand whose keys the killed member had not written; times the hand-over', async () => {
    const s = await setup(6);
    // m3 and m4 restore at each join as their records come (the store following the assigner, as
    // with MirrorKit's consumer); m1 begins at the join (following the kafkajs consumer).
    const [m1, m2, m3] = (['m1', 'm2', 'm3'] as const).map((name) =>
      spawnMember(s, name, name === 'm3' ? 'assigner' : 'consumer'),
    ) as [Member, Member, Member];
    await groupSettled(s, [m1, m2, m3]);
    await startMm2(s, sharedClusters().east);
    const ids = await produceEvents(s, 0, 300);
    await eventually('m2 is handling', async () => {
      const handled = await handlings(s);
      return [...handled.values()].filter((h) => h[0]?.member === 'm2').length >= 50 ? true : undefined;
    });
    const killedOwned = lastJoin(m2) ?? [];
    const killedAt = Date.now();
    m2.child.kill('SIGKILL');
    ids.push(...(await produceEvents(s, 300, 600)));
    // The survivors take m2's partitions after its session times out; then a new member joins.
    await groupSettled(s, [m1, m3]);
    const m4 = spawnMember(s, 'm4', 'assigner');
    await groupSettled(s, [m1, m3, m4]);
    await drained(s);

    const handled = await handlings(s);
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    // The one way a key can be handled twice (documented): its handler succeeded in the killed
    // process, which died before the key was persisted. So any repeat must be m2's first, with no
    // seen-key record written before the kill; and there are at most as many as m2 had in hand
    // (one record per topic-partition: eachMessage).
    const stored = new Map<string, number>();
    for (const r of await readTopicToEnd(s.west, s.storeTopic)) {
      const { key, seenAtMs } = decodeSeenKey(r.key, r.value);
      stored.set(key, Math.min(stored.get(key) ?? Number.POSITIVE_INFINITY, seenAtMs));
    }
    const repeats = [...handled].filter(([, h]) => h.length > 1);
    for (const [id, h] of repeats) {
      expect(h.length, id).toBe(2);
      expect(h[0]?.member, id).toBe('m2');
      expect(stored.get(id) ?? 0, `${id} was persisted before the kill yet handled again`).toBeGreaterThan(
        killedAt,
      );
    }
    expect(repeats.length).toBeLessThanOrEqual(killedOwned.length * 2);
    for (const id of ids) expect(stored.has(id), `${id} persisted`).toBe(true);

    // The hand-over: the survivors restored m2's partitions before handling them.
    const handover = [m1, m3, m4].flatMap((m) =>
      m.lines
        .filter((l) => l.event === 'restored' && l.at > killedAt)
        .map((l) => ({ ...(l as unknown as RestoredLine), member: m.name })),
    );
    const taken = new Set(handover.filter((h) => h.member !== 'm4').map((h) => h.partition));
    for (const p of killedOwned) expect(taken.has(p), `partition ${p} restored by a survivor`).toBe(true);
    const firstRestore = Math.min(...handover.map((h) => h.at));
    console.log(
      `hand-over: kill -> first restore ${firstRestore - killedAt} ms; restores: ${handover
        .map(
          (h) =>
            `${h.member}[${h.partition}] ${h.restored} keys in ${h.durationMs} ms, waited ${h.waitedMs} ms`,
        )
        .join('; ')}; repeats ${repeats.length}`,
    );
  }, 180_000);

  it('exactly once through a SIGKILL, a join and a zombie-free hand-over with dedupExactlyOnce (outputs, keys and offsets in one transaction)', async () => {
    const s = await setup(6);
    // m2 hangs inside a transaction that holds outputs (after 60 records), and is killed there.
    const [m1, m2, m3] = (['m1', 'm2', 'm3'] as const).map((name) =>
      spawnMember(s, name, 'consumer', 'eos', { concurrency: 1, ...(name === 'm2' ? { stallAt: 60 } : {}) }),
    ) as [Member, Member, Member];
    await groupSettled(s, [m1, m2, m3]);
    await startMm2(s, sharedClusters().east);
    const ids = await produceEvents(s, 0, 300);
    await eventually('m2 hangs inside a transaction', async () =>
      m2.lines.some((l) => l.event === 'stalled') ? true : undefined,
    );
    m2.child.kill('SIGKILL');
    ids.push(...(await produceEvents(s, 300, 600)));
    await groupSettled(s, [m1, m3]);
    const m4 = spawnMember(s, 'm4', 'consumer', 'eos', { concurrency: 1 });
    await groupSettled(s, [m1, m3, m4]);
    await drained(s);

    // The ground truth, read_committed: what the handlers' transactions committed.
    const handled = await handlings(s);
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    const repeats = [...handled]
      .filter(([, h]) => h.length > 1)
      .map(([id, h]) => `${id}: ${h.map((x) => x.member)}`);
    expect(repeats, 'events handled more than once').toEqual([]);
    // The kill landed inside a transaction of m2's: outputs of it are in the log, aborted.
    const aborted = (await uncommittedHandlings(s)).filter(
      (h) => h.member === 'm2' && !(handled.get(h.id) ?? []).some((c) => c.member === 'm2'),
    );
    expect(aborted.length, "m2's aborted outputs").toBeGreaterThan(0);
    const stored = new Set((await readTopicToEnd(s.west, s.storeTopic)).map((r) => r.key?.toString()));
    for (const id of ids) expect(stored.has(id), `${id} persisted`).toBe(true);
    const stats = (m: Member) =>
      m.lines.findLast((l) => l.event === 'stats') as Record<string, number> | undefined;
    console.log(
      `exactly-once group: ${ids.length} events, repeats 0; survivors' transactions ${[m1, m3, m4]
        .map((m) => `${m.name} ${stats(m)?.transactions ?? 0} (aborted ${stats(m)?.aborted ?? 0})`)
        .join(', ')}; m2's aborted outputs ${aborted.length}`,
    );
  }, 180_000);

  it('reports copies with mismatched partition counts and still gives each partition number to one member', async () => {
    const clusters = sharedClusters();
    const west = kafkaFor(clusters.west);
    const topic = uniqueName('orders');
    // MM2 only grows a remote copy: here it has 3 partitions where the local topic has 2.
    const remote = policy.formatRemoteTopic(uniqueName('east'), topic);
    const admin = west.admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [
        { topic, numPartitions: 2 },
        { topic: remote, numPartitions: 3 },
      ],
    });
    await admin.disconnect();
    const group = uniqueName('ledger');
    const mismatches: PartitionCountMismatch[] = [];
    const joined = new Map<string, Record<string, number[]>>();
    const consumers: Consumer[] = [];
    try {
      for (const name of ['c1', 'c2']) {
        const co = new CoPartitioning();
        co.events.on('mismatch', (m) => mismatches.push(m));
        const consumer = west.consumer({ groupId: group, partitionAssigners: [co.partitionAssigner] });
        consumers.push(consumer);
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => joined.set(name, payload.memberAssignment));
        await consumer.connect();
        await consumer.subscribe({ topics: [topic, remote] });
        await consumer.run({ eachMessage: async () => undefined });
      }
      await eventually('both joined one generation with all partitions', async () => {
        const all = [...joined.values()].flatMap((a) => [
          ...(a[topic] ?? []).map((p) => `${topic}:${p}`),
          ...(a[remote] ?? []).map((p) => `${remote}:${p}`),
        ]);
        return joined.size === 2 && new Set(all).size === 5 && all.length === 5 ? true : undefined;
      });
      expect(mismatches.at(-1)).toEqual({ logicalTopic: topic, counts: { [topic]: 2, [remote]: 3 } });
      // Partition numbers still go whole: 0 and 1 of both topics together, 2 (remote only) alone.
      for (const a of joined.values()) {
        const local = a[topic] ?? [];
        expect((a[remote] ?? []).filter((p) => p < 2)).toEqual(local);
      }
    } finally {
      for (const c of consumers) await c.disconnect();
    }
  }, 60_000);
});
