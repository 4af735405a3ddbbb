// bench/failover: RTO of an automatic failover, from the fault to the first record processed on the
// DR cluster, for two faults — SIGKILL of the primary's broker and a blackhole (the primary's
// network partitioned: connections hang, nothing is refused) — with the split-brain guard on (the
// default) and off side by side in one run, on the demo's health settings. Then consumer
// throughput with MirrorKit vs plain kafkajs, with the progress records off and on. The exact part
// (replayed records per replicator) is in exact-failover.ts.
//
// Every client and MM2 reach us-east through one fault proxy, so the blackhole cuts them all (the
// guard sees MM2's heartbeats stop, as in a real partition of the primary's site).
import { type ClusterHealth, MirrorKit } from '@mirrorkit/client';
import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  newestHeartbeat,
  readCheckpoints,
} from '@mirrorkit/core';
import { mirrorMakerTestProperties, startCluster, startClusters, startMirrorMaker } from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { runExactFailover } from './exact-failover.js';
import { fmt, percentile, table } from './measure.js';

const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });

/** The demo's settings (examples/active-passive): probes every 500 ms, down after 3 failures over 1.5 s. */
const DEMO_HEALTH = {
  intervalMs: 500,
  probeTimeoutMs: 500,
  failureThreshold: 3,
  minFailureDurationMs: 1500,
  heartbeatIntervalMs: 1000,
} as const;

type Fault = 'sigkill' | 'blackhole';

/** One consumer's failover, in ms from the fault. */
interface Timeline {
  /** Its probes said us-east is down (threshold and duration both met). */
  detectedMs: number;
  /** The failover began: detection plus the guard's wait for heartbeat silence. */
  startedMs: number;
  /** The switch itself (stop, translate, commit, join on us-west). */
  switchMs: number;
  steps: { translateMs: number; commitMs: number; resumeMs: number };
  /** First record handled on us-west: the RTO. */
  rtoMs: number;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Watched {
  timeline(): Timeline | undefined;
  /** What it has seen so far, for a run that goes wrong. */
  state(): string;
  disconnect(): Promise<void>;
}

/** A consumer of `groupId` through `eastBootstrap`, noting when each step of its failover happened. */
async function watchedConsumer(
  eastBootstrap: string,
  westBootstrap: string,
  groupId: string,
  splitBrainGuard: boolean,
  faultAt: () => number,
): Promise<Watched & { seenEast(): number }> {
  const mk = new MirrorKit({
    clusters: { 'us-east': { brokers: [eastBootstrap] }, 'us-west': { brokers: [westBootstrap] } },
    activeCluster: 'us-east',
    logLevel: logLevel.NOTHING,
  });
  const consumer = mk.consumer({
    groupId,
    automaticFailover: true,
    splitBrainGuard,
    health: DEMO_HEALTH,
    kafkajs: { maxWaitTimeInMs: 500 },
  });
  let seenEast = 0;
  let detectedAt = 0;
  let startedAt = 0;
  let firstWestAt = 0;
  let report: { durationMs: number; steps: Timeline['steps'] } | undefined;
  consumer.on('health', (h: ClusterHealth) => {
    if (h.alias !== 'us-east' || detectedAt > 0 || faultAt() === 0 || h.failingSinceMs === null) return;
    if (
      h.consecutiveFailures >= DEMO_HEALTH.failureThreshold &&
      Date.now() - h.failingSinceMs >= DEMO_HEALTH.minFailureDurationMs
    )
      detectedAt = Date.now();
  });
  consumer.on('failover:start', () => {
    startedAt = Date.now();
  });
  consumer.on('failover:complete', (r) => {
    report = r;
  });
  const events: string[] = [];
  for (const name of ['failover:held', 'failover:failed', 'failover:retry', 'error'] as const)
    consumer.on(name, (info: unknown) => {
      events.push(
        `${Date.now() - faultAt()} ms ${name}: ${info instanceof Error ? info.message : JSON.stringify(info)}`,
      );
    });
  await consumer.subscribe({ topics: ['orders'], remote: true, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ cluster }) => {
      if (cluster === 'us-east') seenEast++;
      else if (firstWestAt === 0) firstWestAt = Date.now();
    },
  });
  return {
    seenEast: () => seenEast,
    timeline: () => {
      const at = faultAt();
      if (!report || firstWestAt === 0 || at === 0) return undefined;
      return {
        detectedMs: (detectedAt || startedAt) - at,
        startedMs: startedAt - at,
        switchMs: report.durationMs,
        steps: report.steps,
        rtoMs: firstWestAt - at,
      };
    },
    state: () =>
      `${groupId}: active ${consumer.activeCluster}, detected ${detectedAt - faultAt()}, started ${startedAt - faultAt()}, ` +
      `report ${report ? 'yes' : 'no'}, first on us-west ${firstWestAt - faultAt()}; ${events.slice(0, 12).join('; ')}`,
    disconnect: () => consumer.disconnect(),
  };
}

async function oneRun(fault: Fault, run: number): Promise<{ guarded: Timeline; unguarded: Timeline }> {
  const [east, west] = await Promise.all([
    startCluster({ alias: 'us-east', proxies: 1 }),
    startCluster({ alias: 'us-west' }),
  ]);
  const proxy = east.proxy;
  if (!proxy) throw new Error('us-east has no proxy');
  const consumers: Watched[] = [];
  let mm2: Awaited<ReturnType<typeof startMirrorMaker>> | undefined;
  try {
    for (const cluster of [east, west]) {
      const admin = quiet(cluster.bootstrapServers).admin();
      await admin.connect();
      await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: 3 }] });
      await admin.disconnect();
    }
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { 'us-east': proxy.address, 'us-west': west.bootstrapServers },
        flows: ['us-east->us-west'],
        extra: { 'us-east->us-west.topics': 'orders' },
      }),
    });
    // us-east's orders to read before the fault; us-west's own, for the first record after it.
    for (const [cluster, count] of [
      [east, 3000],
      [west, 100],
    ] as const) {
      const producer = quiet(cluster.bootstrapServers).producer({ idempotent: true });
      await producer.connect();
      await producer.send({
        topic: 'orders',
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      });
      await producer.disconnect();
    }
    let faultAt = 0;
    const guarded = await watchedConsumer(
      proxy.address,
      west.bootstrapServers,
      'bench-guarded',
      true,
      () => faultAt,
    );
    consumers.push(guarded);
    const unguarded = await watchedConsumer(
      proxy.address,
      west.bootstrapServers,
      'bench-unguarded',
      false,
      () => faultAt,
    );
    consumers.push(unguarded);
    await until(
      'both groups consumed us-east',
      async () => guarded.seenEast() >= 3000 && unguarded.seenEast() >= 3000,
    );
    const westKafka = quiet(west.bootstrapServers);
    for (const group of ['bench-guarded', 'bench-unguarded'])
      await until(`a checkpoint of ${group} on every partition`, async () => {
        const read = await readCheckpoints(westKafka, {
          sourceAlias: 'us-east',
          policy: new DefaultReplicationPolicy(),
          group,
          timeoutMs: 3000,
        });
        return read.offsets.length === 3;
      });
    // The guard needs to have seen heartbeats arrive, as in any running deployment.
    const heartbeats = new DefaultReplicationPolicy().formatRemoteTopic('us-east', 'heartbeats');
    await until('fresh MM2 heartbeats from us-east on us-west', async () => {
      const newest = await newestHeartbeat(westKafka, heartbeats, 'us-east');
      return newest !== null && Date.now() - Number(newest) < 1500;
    });
    await new Promise((r) => setTimeout(r, 2 * DEMO_HEALTH.heartbeatIntervalMs));
    // A fault right after a heartbeat, or just before the next: spread like a real one.
    await new Promise((r) => setTimeout(r, Math.random() * 1000));
    faultAt = Date.now();
    if (fault === 'sigkill') await east.kill();
    else proxy.blackhole();
    await until(
      'both groups handled a record on us-west',
      async () => consumers.every((c) => c.timeline() !== undefined),
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${consumers.map((c) => c.state()).join('\n')}`);
    });
    const g = guarded.timeline() as Timeline;
    const u = unguarded.timeline() as Timeline;
    console.log(
      `  ${fault} run ${run}: RTO guard on ${fmt(g.rtoMs)} ms (detected ${fmt(g.detectedMs)}, started ${fmt(g.startedMs)}, ` +
        `switch ${fmt(g.switchMs)}: translate ${fmt(g.steps.translateMs)} commit ${fmt(g.steps.commitMs)} resume ${fmt(g.steps.resumeMs)}); ` +
        `guard off ${fmt(u.rtoMs)} ms (started ${fmt(u.startedMs)}, switch ${fmt(u.switchMs)})`,
    );
    return { guarded: g, unguarded: u };
  } finally {
    proxy.heal();
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await mm2?.stop();
    await Promise.all([east.stop(), west.stop()]);
  }
}

const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function throughput(runs: number): Promise<void> {
  // A second cluster, so the MirrorKit consumer has a DR cluster to write its progress records to.
  const [cluster, dr] = await startClusters(['bench', 'bench-dr']);
  if (!cluster || !dr) throw new Error('clusters did not start');
  try {
    const kafka = quiet(cluster.bootstrapServers);
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: 3 }] });
    await admin.disconnect();
    // Timed from the 100,000th record on: a consumer's first second (joining, the progress writer
    // connecting to the DR cluster and creating its topic) is set-up, not throughput.
    const total = 600_000;
    const warm = 100_000;
    const producer = kafka.producer();
    await producer.connect();
    const value = 'x'.repeat(100);
    for (let i = 0; i < total; i += 10_000) {
      await producer.send({
        topic: 'orders',
        messages: Array.from({ length: 10_000 }, (_, j) => ({ key: `us-east:${i + j}`, value })),
      });
    }
    await producer.disconnect();
    const mk = new MirrorKit({
      clusters: {
        bench: { brokers: [cluster.bootstrapServers] },
        'bench-dr': { brokers: [dr.bootstrapServers] },
      },
      activeCluster: 'bench',
      logLevel: logLevel.NOTHING,
    });

    const plain = async (group: string): Promise<number> => {
      const consumer = kafka.consumer({ groupId: group });
      await consumer.connect();
      await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
      let n = 0;
      let started = 0;
      const done = new Promise<number>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            if (n === warm) started = performance.now();
            if (++n === total) resolve(performance.now() - started);
          },
        });
      });
      const ms = await done;
      await consumer.disconnect();
      return ((total - warm) / ms) * 1000;
    };
    const wrapped = async (group: string, progress: boolean): Promise<number> => {
      const consumer = mk.consumer({ groupId: group, ...(progress ? {} : { progress: false as const }) });
      await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
      let n = 0;
      let started = 0;
      const done = new Promise<number>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            if (n === warm) started = performance.now();
            if (++n === total) resolve(performance.now() - started);
          },
        });
      });
      const ms = await done;
      await consumer.disconnect();
      return ((total - warm) / ms) * 1000;
    };
    const plainRates: number[] = [];
    const offRates: number[] = [];
    const onRates: number[] = [];
    for (let r = 0; r < runs; r++) {
      plainRates.push(await plain(`plain-${r}`));
      offRates.push(await wrapped(`mirrorkit-off-${r}`, false));
      onRates.push(await wrapped(`mirrorkit-on-${r}`, true));
    }
    const p = median(plainRates);
    const off = median(offRates);
    const on = median(onRates);
    console.log(
      `\nConsumer throughput, ${fmt(total)} records of 100 B, 3 partitions (timed after the first ${fmt(warm)}), median of ${runs} alternating runs\n${table(
        [
          ['consumer', 'records/s', 'vs plain kafkajs', 'vs progress off'],
          ['plain kafkajs', fmt(p), '', ''],
          ['MirrorKit, progress records off', fmt(off), `${fmt(((p - off) / p) * 100, 1)} %`, ''],
          [
            'MirrorKit, progress records on (default)',
            fmt(on),
            `${fmt(((p - on) / p) * 100, 1)} %`,
            `${fmt(((off - on) / off) * 100, 1)} %`,
          ],
        ],
      )}\n(runs: plain ${plainRates.map((x) => fmt(x)).join(', ')}; off ${offRates.map((x) => fmt(x)).join(', ')}; on ${onRates.map((x) => fmt(x)).join(', ')})`,
    );
  } finally {
    await Promise.all([cluster.stop(), dr.stop()]);
  }
}

export async function runFailover(runs = 3): Promise<void> {
  if (process.env.BENCH_PART === 'throughput') {
    await throughput(Math.max(3, runs));
    return;
  }
  console.log(
    `Automatic failover on the demo's health settings (probes every ${DEMO_HEALTH.intervalMs} ms, ` +
      `timeout ${DEMO_HEALTH.probeTimeoutMs} ms, down after ${DEMO_HEALTH.failureThreshold} failures over ` +
      `${DEMO_HEALTH.minFailureDurationMs} ms; guard silence 2 s), ${runs} runs per fault; ms from the fault`,
  );
  const rows: string[][] = [
    ['fault', 'guard', 'detected', 'guard wait', 'switch', 'RTO median', 'RTO min', 'RTO max'],
  ];
  for (const fault of ['sigkill', 'blackhole'] as const) {
    const results: { guarded: Timeline; unguarded: Timeline }[] = [];
    for (let r = 1; r <= runs; r++) results.push(await oneRun(fault, r));
    for (const side of ['guarded', 'unguarded'] as const) {
      const t = results.map((x) => x[side]);
      const rto = t.map((x) => x.rtoMs);
      rows.push([
        fault,
        side === 'guarded' ? 'on' : 'off',
        fmt(median(t.map((x) => x.detectedMs))),
        fmt(median(t.map((x) => x.startedMs - x.detectedMs))),
        fmt(median(t.map((x) => x.switchMs))),
        fmt(median(rto)),
        fmt(Math.min(...rto)),
        fmt(Math.max(...rto)),
      ]);
    }
  }
  console.log(`\n${table(rows)}`);
  await runExactFailover();
  await throughput(Math.max(3, runs));
}
