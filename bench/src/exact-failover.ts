// bench/failover, exact part: records replayed by a failover after a SIGKILL of the primary, for
// MM2 on its production defaults, MM2 tuned to 1 s and the sidecar, each with the consumer's
// progress records on and off (two groups on the same clusters, in one run, side by side).
// Ground truth from the clusters: a record is replayed when the group handled its offset on
// us-east and the same offset of the copy on us-west (the copy is the source offset for offset
// here: a fresh topic, no gaps); "uncommitted" counts what the group had processed on us-east past
// its commit there when it died (read after restarting us-east, whose log survives the kill).
import { type FailoverReport, MirrorKit } from '@mirrorkit/client';
import { createTopicsAndWait, DefaultReplicationPolicy, readCheckpoints } from '@mirrorkit/core';
import { type Replicator, silentLogger, startReplicator } from '@mirrorkit/replicator';
import {
  type KafkaCluster,
  type MirrorMakerProcess,
  mirrorMakerTestProperties,
  startClusters,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { fmt, table } from './measure.js';

const policy = new DefaultReplicationPolicy();
const PARTITIONS = 3;
const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
const HEALTH = { intervalMs: 500, probeTimeoutMs: 500, failureThreshold: 3, minFailureDurationMs: 1500 };

interface Setup {
  readonly name: string;
  readonly replicator: 'mm2' | 'sidecar';
  readonly extra: Readonly<Record<string, string>>;
  readonly killAfterCheckpointMs: number;
}

const SETUPS: readonly Setup[] = [
  {
    name: 'MM2 defaults (60 s, lag 100)',
    replicator: 'mm2',
    extra: { 'emit.checkpoints.interval.seconds': '60', 'offset.lag.max': '100' },
    killAfterCheckpointMs: 30_000,
  },
  {
    name: 'MM2 tuned (1 s, lag 10)',
    replicator: 'mm2',
    extra: { 'offset.lag.max': '10' },
    killAfterCheckpointMs: 5000,
  },
  {
    name: 'sidecar (60 s, lag 100)',
    replicator: 'sidecar',
    extra: { 'emit.checkpoints.interval.seconds': '60', 'offset.lag.max': '100' },
    killAfterCheckpointMs: 30_000,
  },
];

interface Outcome {
  replayed: number;
  uncommitted: number;
  skipped: number;
  rtoMs: number;
  bases: string;
}

interface Group {
  readonly id: string;
  readonly handled: { cluster: string; partition: number; offset: bigint; at: number }[];
  report: FailoverReport | undefined;
  completedAt: number;
  disconnect(): Promise<void>;
}

async function group(east: KafkaCluster, west: KafkaCluster, id: string, progress: boolean): Promise<Group> {
  const mk = new MirrorKit({
    clusters: {
      'us-east': { brokers: [east.bootstrapServers] },
      'us-west': { brokers: [west.bootstrapServers] },
    },
    activeCluster: 'us-east',
    logLevel: logLevel.NOTHING,
  });
  const consumer = mk.consumer({
    groupId: id,
    automaticFailover: true,
    health: HEALTH,
    metadataRefreshMs: 1000,
    ...(progress ? {} : { progress: false as const }),
  });
  const g: Group = {
    id,
    handled: [],
    report: undefined,
    completedAt: 0,
    disconnect: () => consumer.disconnect(),
  };
  consumer.on('failover:complete', (report) => {
    g.report = report;
    g.completedAt = Date.now();
  });
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message, cluster }) => {
      g.handled.push({ cluster, partition, offset: BigInt(message.offset), at: Date.now() });
    },
  });
  return g;
}

async function committedOn(kafka: Kafka, groupId: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: ['orders'] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function oneSetup(setup: Setup): Promise<{ on: Outcome; off: Outcome }> {
  const [east, west] = (await startClusters(['us-east', 'us-west'])) as [KafkaCluster, KafkaCluster];
  const eastKafka = quiet(east.bootstrapServers);
  const westKafka = quiet(west.bootstrapServers);
  let mm2: MirrorMakerProcess | undefined;
  let sidecar: Replicator | undefined;
  const groups: Group[] = [];
  try {
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    // 500 records/s until the crash.
    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    let n = 0;
    let producing = true;
    const load = (async () => {
      while (producing) {
        const started = Date.now();
        await producer
          .send({
            topic: 'orders',
            acks: -1,
            messages: Array.from({ length: 50 }, () => ({
              partition: n % PARTITIONS,
              key: `k${n}`,
              value: `v${n++}`,
            })),
          })
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
      }
    })();
    groups.push(
      await group(east, west, 'bench-progress-on', true),
      await group(east, west, 'bench-progress-off', false),
    );
    for (const g of groups)
      await until(
        `${g.id} committed`,
        async () => ((await committedOn(eastKafka, g.id)).size === PARTITIONS ? true : undefined),
        60_000,
      );
    // Started after the groups exist: MM2 3.9 may never checkpoint a group that appears later.
    const properties = mirrorMakerTestProperties({
      clusters: { 'us-east': east.bootstrapServers, 'us-west': west.bootstrapServers },
      flows: ['us-east->us-west'],
      extra: { 'us-east->us-west.topics': 'orders', ...setup.extra },
    });
    if (setup.replicator === 'mm2') mm2 = await startMirrorMaker({ properties });
    else sidecar = await startReplicator({ properties, log: silentLogger });
    let checkpointAt = 0;
    for (const g of groups)
      checkpointAt = Math.max(
        checkpointAt,
        await until(
          `a checkpoint of ${g.id}`,
          async () => {
            const read = await readCheckpoints(westKafka, {
              sourceAlias: 'us-east',
              policy,
              group: g.id,
              timeoutMs: 5000,
            });
            return read.offsets.length === PARTITIONS
              ? Math.max(...read.offsets.map((o) => o.writtenAtMs))
              : undefined;
          },
          180_000,
        ),
      );
    await new Promise((r) =>
      setTimeout(r, Math.max(0, checkpointAt + setup.killAfterCheckpointMs - Date.now())),
    );
    const killedAt = Date.now();
    await east.kill();
    producing = false;
    await load;
    await producer.disconnect().catch(() => undefined);
    await until('both failovers', async () => (groups.every((g) => g.report) ? true : undefined), 60_000);
    const westAdmin = westKafka.admin();
    await westAdmin.connect();
    const ends = new Map(
      (await westAdmin.fetchTopicOffsets(policy.formatRemoteTopic('us-east', 'orders'))).map((p) => [
        p.partition,
        BigInt(p.high),
      ]),
    );
    await westAdmin.disconnect();
    await until(
      'both groups at the end of the copy',
      async () =>
        groups.every((g) =>
          [...ends].every(
            ([p, end]) => g.handled.some((h) => h.partition === p && h.offset + 1n >= end) || end === 0n,
          ),
        )
          ? true
          : undefined,
      90_000,
    );
    await Promise.all(groups.map((g) => g.disconnect()));
    await mm2?.stop();
    await sidecar?.stop();
    mm2 = undefined;
    sidecar = undefined;
    await east.restart();
    const outcome = async (g: Group): Promise<Outcome> => {
      const committed = await committedOn(eastKafka, g.id);
      const key = (p: number, o: bigint) => `${p}:${o}`;
      const onEast = new Set(
        g.handled.filter((h) => h.cluster === 'us-east').map((h) => key(h.partition, h.offset)),
      );
      const onWest = g.handled.filter((h) => h.cluster === 'us-west');
      const westSet = new Set(onWest.map((h) => key(h.partition, h.offset)));
      let skipped = 0;
      for (const [p, end] of ends)
        for (let o = 0n; o < end; o++) if (!onEast.has(key(p, o)) && !westSet.has(key(p, o))) skipped++;
      return {
        replayed: onWest.filter((h) => onEast.has(key(h.partition, h.offset))).length,
        uncommitted: g.handled.filter(
          (h) => h.cluster === 'us-east' && h.offset >= (committed.get(h.partition) ?? 0n),
        ).length,
        skipped,
        rtoMs: Math.min(g.completedAt, ...onWest.map((h) => h.at)) - killedAt,
        bases: [...new Set(g.report?.positions.map((p) => p.basis))].join('/'),
      };
    };
    const [on, off] = [await outcome(groups[0] as Group), await outcome(groups[1] as Group)];
    console.log(`  ${setup.name}: progress on ${JSON.stringify(on)}; off ${JSON.stringify(off)}`);
    return { on, off };
  } finally {
    await Promise.all(groups.map((g) => g.disconnect().catch(() => undefined)));
    await mm2?.stop();
    await sidecar?.stop();
    await Promise.all([east.stop(), west.stop()]);
  }
}

/** Replayed records and RTO after a SIGKILL of the primary, per replicator, progress records on and off. */
export async function runExactFailover(): Promise<void> {
  console.log(
    '\nExact failover: 500 records/s, SIGKILL of us-east (MM2 defaults and sidecar: 30 s after a checkpoint; tuned: 5 s), ' +
      'two groups side by side, counted from the clusters',
  );
  const rows: string[][] = [
    ['replicator', 'progress', 'replayed', 'uncommitted at crash', 'skipped', 'RTO ms', 'basis'],
  ];
  for (const setup of SETUPS) {
    const { on, off } = await oneSetup(setup);
    for (const [side, o] of [
      ['on', on],
      ['off', off],
    ] as const)
      rows.push([
        setup.name,
        side,
        fmt(o.replayed),
        fmt(o.uncommitted),
        fmt(o.skipped),
        fmt(o.rtoMs),
        o.bases,
      ]);
  }
  console.log(`\n${table(rows)}`);
}
