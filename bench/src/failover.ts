// bench/failover: RTO from SIGKILL of the active cluster to the first record processed on the DR
// cluster, over several runs; and consumer throughput with MirrorKit vs plain kafkajs.
import { MirrorKit } from '@mirrorkit/client';
import { createTopicsAndWait, DefaultReplicationPolicy, readCheckpoints } from '@mirrorkit/core';
import { mirrorMakerTestProperties, startClusters, startMirrorMaker } from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { fmt, percentile, table } from './measure.js';

const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function oneRto(run: number): Promise<{ rtoMs: number; failoverMs: number }> {
  const [east, west] = await startClusters(['us-east', 'us-west']);
  if (!east || !west) throw new Error('clusters did not start');
  const mm2 = await startMirrorMaker({
    properties: mirrorMakerTestProperties({
      clusters: { 'us-east': east.bootstrapServers, 'us-west': west.bootstrapServers },
      flows: ['us-east->us-west'],
      extra: { 'us-east->us-west.topics': 'orders' },
    }),
  });
  try {
    const admin = quiet(east.bootstrapServers).admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: 3 }] });
    await admin.disconnect();
    const producer = quiet(east.bootstrapServers).producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
    const mk = new MirrorKit({
      clusters: {
        'us-east': { brokers: [east.bootstrapServers] },
        'us-west': { brokers: [west.bootstrapServers] },
      },
      activeCluster: 'us-east',
      logLevel: logLevel.NOTHING,
    });
    // Default health settings: the RTO a user gets without tuning.
    const consumer = mk.consumer({ groupId: 'bench', automaticFailover: true });
    let seenEast = 0;
    let firstWest = 0;
    let failoverMs = 0;
    consumer.on('failover:complete', (r) => {
      failoverMs = r.durationMs;
    });
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ cluster }) => {
        if (cluster === 'us-east') seenEast++;
        else if (firstWest === 0) firstWest = Date.now();
      },
    });
    await until('consumed on us-east', async () => seenEast >= 3000);
    const west0 = quiet(west.bootstrapServers);
    await until('a checkpoint for the group', async () => {
      const read = await readCheckpoints(west0, {
        sourceAlias: 'us-east',
        policy: new DefaultReplicationPolicy(),
        group: 'bench',
        timeoutMs: 3000,
      });
      return read.offsets.length === 3;
    });
    const killedAt = Date.now();
    await east.kill();
    await until('first record on us-west', async () => firstWest > 0, 120_000);
    await consumer.disconnect();
    const rtoMs = firstWest - killedAt;
    console.log(`  run ${run}: RTO ${fmt(rtoMs)} ms (failover step ${fmt(failoverMs)} ms)`);
    return { rtoMs, failoverMs };
  } finally {
    await mm2.stop();
    await Promise.all([east.stop(), west.stop()]);
  }
}

async function throughput(runs: number): Promise<void> {
  const [cluster] = await startClusters(['bench']);
  if (!cluster) throw new Error('cluster did not start');
  try {
    const kafka = quiet(cluster.bootstrapServers);
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: 3 }] });
    await admin.disconnect();
    const total = 200_000;
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
      clusters: { bench: { brokers: [cluster.bootstrapServers] } },
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
            if (n === 0) started = performance.now();
            if (++n === total) resolve(performance.now() - started);
          },
        });
      });
      const ms = await done;
      await consumer.disconnect();
      return (total / ms) * 1000;
    };
    const wrapped = async (group: string): Promise<number> => {
      const consumer = mk.consumer({ groupId: group });
      await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
      let n = 0;
      let started = 0;
      const done = new Promise<number>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            if (n === 0) started = performance.now();
            if (++n === total) resolve(performance.now() - started);
          },
        });
      });
      const ms = await done;
      await consumer.disconnect();
      return (total / ms) * 1000;
    };
    const plainRates: number[] = [];
    const wrappedRates: number[] = [];
    for (let r = 0; r < runs; r++) {
      plainRates.push(await plain(`plain-${r}`));
      wrappedRates.push(await wrapped(`mirrorkit-${r}`));
    }
    const median = (xs: number[]): number =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const p = median(plainRates);
    const w = median(wrappedRates);
    console.log(
      `\nConsumer throughput, ${fmt(total)} records of 100 B, 3 partitions, median of ${runs} alternating runs\n${table(
        [
          ['consumer', 'records/s'],
          ['plain kafkajs', fmt(p)],
          ['MirrorKit', fmt(w)],
          ['overhead', `${fmt(((p - w) / p) * 100, 1)} %`],
        ],
      )}`,
    );
  } finally {
    await cluster.stop();
  }
}

export async function runFailover(runs = 3): Promise<void> {
  console.log(
    `Failover RTO (SIGKILL of us-east → first record processed on us-west), default health settings, ${runs} runs`,
  );
  const results: number[] = [];
  for (let r = 1; r <= runs; r++) results.push((await oneRto(r)).rtoMs);
  const sorted = [...results].sort((a, b) => a - b);
  console.log(
    table([
      ['RTO', 'ms'],
      ['min', fmt(sorted[0] ?? Number.NaN)],
      ['median', fmt(percentile(sorted, 50))],
      ['max', fmt(sorted[sorted.length - 1] ?? Number.NaN)],
    ]),
  );
  await throughput(3);
}
