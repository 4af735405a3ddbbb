// bench/replicator: the sidecar against real MirrorMaker 2 (dedicated mode) on the same two local
// clusters: throughput on a pre-loaded topic, and end-to-end latency at a steady produce rate.
// `pnpm bench replicator`. Prints figures; asserts nothing.
import { createTopicsAndWait } from '@mirrorkit/core';
import { startReplicator } from '@mirrorkit/replicator';
import {
  type KafkaCluster,
  mirrorMakerTestProperties,
  startClusters,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { fmt, percentile, table } from './measure.js';

const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function total(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
  } catch {
    // A topic just created may not have leaders yet: not there yet, ask again.
    return 0;
  } finally {
    await admin.disconnect();
  }
}

interface Figures {
  recordsPerSecond: number;
  mbPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(
  tool: 'MirrorMaker 2' | 'mirrorkit sidecar',
  east: KafkaCluster,
  west: KafkaCluster,
  records: number,
  size: number,
): Promise<Figures> {
  const tag = tool === 'MirrorMaker 2' ? 'mm2' : 'mk';
  const bulk = `bench-${tag}-bulk`;
  const live = `bench-${tag}-live`;
  const eastKafka = quiet(east.bootstrapServers);
  const westKafka = quiet(west.bootstrapServers);
  const admin = eastKafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, {
    topics: [
      { topic: bulk, numPartitions: 6 },
      { topic: live, numPartitions: 6 },
    ],
  });
  await admin.disconnect();
  const producer = eastKafka.producer({ idempotent: true });
  await producer.connect();
  const payload = Buffer.alloc(size, 7);
  for (let i = 0; i < records; i += 1000)
    await producer.send({
      topic: bulk,
      messages: Array.from({ length: Math.min(1000, records - i) }, (_, j) => ({
        key: `k${i + j}`,
        value: payload,
      })),
    });

  const aliases = { 'us-east': east.bootstrapServers, 'us-west': west.bootstrapServers };
  let stop: () => Promise<void>;
  const started = Date.now();
  if (tool === 'MirrorMaker 2') {
    const mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: aliases,
        flows: ['us-east->us-west'],
        extra: { 'us-east->us-west.topics': `${bulk}|${live}`, 'tasks.max': '1' },
      }),
    });
    stop = () => mm2.stop();
  } else {
    const sidecar = await startReplicator({
      properties: `${mirrorMakerTestProperties({ clusters: aliases, flows: ['us-east->us-west'], extra: { 'us-east->us-west.topics': `${bulk}|${live}` } })}`,
    });
    stop = () => sidecar.stop();
  }
  // Throughput: from the first record on the target to the last.
  const remoteBulk = `us-east.${bulk}`;
  let first = 0;
  for (;;) {
    const n = await total(westKafka, remoteBulk);
    if (n > 0 && first === 0) first = Date.now();
    if (n >= records) break;
    await sleep(50);
  }
  const copyMs = Math.max(1, Date.now() - first);
  void started;

  // Latency: a steady 1,000 records/s for 15 s, each stamped with its send time, read on the target.
  const latencies: number[] = [];
  const consumer = westKafka.consumer({ groupId: `bench-latency-${tag}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  for (;;) {
    const admin2 = westKafka.admin();
    await admin2.connect();
    const has = (await admin2.listTopics()).includes(`us-east.${live}`);
    await admin2.disconnect();
    if (has) break;
    await sleep(200);
  }
  await consumer.subscribe({ topics: [`us-east.${live}`], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      latencies.push(Date.now() - Number(message.value?.toString()));
    },
  });
  await sleep(2000);
  const rate = 1000;
  const seconds = 15;
  for (let s = 0; s < seconds * 10; s++) {
    await producer.send({
      topic: live,
      messages: Array.from({ length: rate / 10 }, () => ({ value: String(Date.now()) })),
    });
    await sleep(100);
  }
  const wanted = rate * seconds;
  const deadline = Date.now() + 60_000;
  while (latencies.length < wanted && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  await producer.disconnect();
  await stop();
  const sorted = [...latencies].sort((x, y) => x - y);
  return {
    recordsPerSecond: (records / copyMs) * 1000,
    mbPerSecond: (records * size) / 1024 / 1024 / (copyMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

export async function runReplicator(): Promise<void> {
  const records = Number(process.env.BENCH_RECORDS ?? 200_000);
  const size = 1024;
  console.log(
    `\n== replicator: sidecar vs MirrorMaker 2 (${fmt(records)} records of ${size} B, 6 partitions; latency at 1,000 records/s) ==`,
  );
  const results: [string, Figures][] = [];
  for (const tool of ['MirrorMaker 2', 'mirrorkit sidecar'] as const) {
    const clusters = await startClusters(['us-east', 'us-west']);
    try {
      results.push([
        tool,
        await measure(tool, clusters[0] as KafkaCluster, clusters[1] as KafkaCluster, records, size),
      ]);
    } finally {
      await Promise.all(clusters.map((c) => c.stop()));
    }
  }
  const [mm2, mk] = results.map(([, f]) => f) as [Figures, Figures];
  const rows = [['tool', 'records/s', 'MB/s', 'latency p50 (ms)', 'latency p99 (ms)']];
  for (const [tool, f] of results)
    rows.push([tool, fmt(f.recordsPerSecond), fmt(f.mbPerSecond, 1), fmt(f.p50), fmt(f.p99)]);
  rows.push([
    'sidecar / MM2',
    fmt(mk.recordsPerSecond / mm2.recordsPerSecond, 2),
    fmt(mk.mbPerSecond / mm2.mbPerSecond, 2),
    fmt(mk.p50 / mm2.p50, 2),
    fmt(mk.p99 / mm2.p99, 2),
  ]);
  console.log(table(rows));
}
