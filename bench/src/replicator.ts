// bench/replicator: the sidecar against real MirrorMaker 2 (dedicated mode) on the same two local
// clusters: throughput on a pre-loaded topic (uncompressed, then lz4 and zstd on the source and on
// the copies), end-to-end latency at a steady produce rate, and what each codec costs per record.
// `pnpm bench replicator`. Prints figures; asserts nothing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  type CompressionObservation,
  compressionTypeOf,
  createTopicsAndWait,
  observeCompression,
} from '@mirrorkit/core';
import { type Replicator, startReplicator } from '@mirrorkit/replicator';
import {
  type KafkaCluster,
  mirrorMakerTestProperties,
  startClusters,
  startMirrorMaker,
  storedBatches,
} from '@mirrorkit/testkit';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type CodecCost, eventValues, runCodecCost } from './codec-cost.js';
import { fmt, percentile, table } from './measure.js';

const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Tool = 'MirrorMaker 2' | 'mirrorkit sidecar';
/** The codec of the pre-loaded source topic and of the copies (`us-west.producer.compression.type`). */
type Codec = 'none' | 'lz4' | 'zstd';
const CODECS: readonly Codec[] = ['none', 'lz4', 'zstd'];
// The order the copies run in on one pair of clusters. Uncompressed twice: in the first copy the
// brokers spend about twice the CPU per record they spend in every later one (an untimed 50k-record
// copy before it did not change that: they warm up over the first full copy), so it is shown, but
// the baseline the codecs are held against is the last.
const RUNS: readonly Codec[] = ['none', 'lz4', 'zstd', 'none'];
const PARTITIONS = 6;

/** CPU time (ms) of every live process in process group `pgid` (a testkit JVM and its watchdog). */
function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp … utime stime: fields after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

const processCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

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

/** Bytes of a topic's log segments in a broker's data folder: what its batches take, compressed or not. */
function logBytes(cluster: KafkaCluster, topic: string): number {
  let bytes = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = join(cluster.dataDir, 'log', `${topic}-${p}`);
    for (const f of readdirSync(dir)) if (f.endsWith('.log')) bytes += statSync(join(dir, f)).size;
  }
  return bytes;
}

interface CopyFigures {
  recordsPerSecond: number;
  mbPerSecond: number;
  /** CPU per record copied, while copying: the tool (MM2's JVM, or this process for the sidecar). */
  toolCpuUs: number;
  /** The same for the two brokers together. */
  brokersCpuUs: number;
  /** The machine's 1-minute load average when the copy ended: other work on it makes figures noisy. */
  load: number;
  /** Codecs of the target's stored batches of partition 0, as Kafka's DumpLogSegments reads them. */
  targetCodecs: string;
  /** Mean records per batch the tool wrote to the target (partition 0). */
  targetBatchRecords: number;
  sourceLogBytes: number;
  targetLogBytes: number;
  /** The sidecar only: source batches its consumer decompressed, and what its copies saved. */
  sidecar?: { decompressedBatches: number; copyRatio: number };
}

interface LatencyFigures {
  p50: number;
  p99: number;
}

/** Writes `records` JSON events of `size` bytes to `topic`, 1,000 per send, compressed with `codec`. */
async function preload(
  producer: Producer,
  topic: string,
  records: number,
  size: number,
  codec: Codec,
): Promise<void> {
  const values = eventValues(4096, size);
  const compression = compressionTypeOf(codec);
  for (let i = 0; i < records; i += 1000)
    await producer.send({
      topic,
      compression,
      messages: Array.from({ length: Math.min(1000, records - i) }, (_, j) => ({
        key: `k${i + j}`,
        value: values[(i + j) % values.length] as Buffer,
      })),
    });
}

interface Running {
  stop(): Promise<void>;
  /** CPU time (ms) the tool has used so far. */
  cpuMs(): number;
  replicator?: Replicator;
}

async function startTool(
  tool: Tool,
  east: KafkaCluster,
  west: KafkaCluster,
  topics: string,
  codec: Codec,
  observer: (o: CompressionObservation) => void,
): Promise<Running> {
  const properties = mirrorMakerTestProperties({
    clusters: { 'us-east': east.bootstrapServers, 'us-west': west.bootstrapServers },
    flows: ['us-east->us-west'],
    extra: {
      'us-east->us-west.topics': topics,
      'tasks.max': '1',
      // MM2's Connect worker producer and the sidecar's copy producer read the same key.
      ...(codec === 'none' ? {} : { 'us-west.producer.compression.type': codec }),
    },
  });
  if (tool === 'MirrorMaker 2') {
    const mm2 = await startMirrorMaker({ properties });
    return { stop: () => mm2.stop(), cpuMs: () => groupCpuMs(mm2.pid) };
  }
  // Everything the sidecar starts runs in this async context: the observer sees the source
  // batches its consumers decompress (its copy producer observes its own sends).
  const replicator = await observeCompression(observer, () => startReplicator({ properties }));
  // The sidecar runs in this process: its CPU is the process's (less a few offset polls).
  return { stop: () => replicator.stop(), cpuMs: processCpuMs, replicator };
}

/** From the first record of `topic` on the target to the last: wall time, and `cpu()` used meanwhile. */
async function copyTime(
  west: Kafka,
  topic: string,
  records: number,
  cpu: () => number[],
): Promise<{ ms: number; cpuMs: number[] }> {
  let first = 0;
  let cpuAtFirst: number[] = [];
  for (;;) {
    const n = await total(west, topic);
    if (n > 0 && first === 0) {
      first = Date.now();
      cpuAtFirst = cpu();
    }
    if (n >= records) break;
    await sleep(50);
  }
  const ms = Math.max(1, Date.now() - first);
  return { ms, cpuMs: cpu().map((c, i) => c - (cpuAtFirst[i] ?? 0)) };
}

/** A steady 1,000 records/s for 15 s, each stamped with its send time, read on the target. */
async function latency(producer: Producer, west: Kafka, live: string, tag: string): Promise<LatencyFigures> {
  const latencies: number[] = [];
  const consumer = west.consumer({ groupId: `bench-latency-${tag}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  for (;;) {
    const admin = west.admin();
    await admin.connect();
    const has = (await admin.listTopics()).includes(`us-east.${live}`);
    await admin.disconnect();
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
  const sorted = [...latencies].sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/**
 * One tool on one fresh pair of clusters: a copy of a pre-loaded topic per codec (each with the
 * tool started afresh for that topic alone, the copies written with the same codec), and the
 * latency at a steady rate with the uncompressed run.
 */
async function measure(
  tool: Tool,
  east: KafkaCluster,
  west: KafkaCluster,
  records: number,
  size: number,
): Promise<{ copies: [Codec, CopyFigures][]; latency: LatencyFigures }> {
  const tag = tool === 'MirrorMaker 2' ? 'mm2' : 'mk';
  const live = `bench-${tag}-live`;
  const bulkOf = (run: number): string => `bench-${tag}-bulk-${run}-${RUNS[run]}`;
  const eastKafka = quiet(east.bootstrapServers);
  const westKafka = quiet(west.bootstrapServers);
  const admin = eastKafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, {
    topics: [live, ...RUNS.map((_, run) => bulkOf(run))].map((topic) => ({
      topic,
      numPartitions: PARTITIONS,
    })),
  });
  await admin.disconnect();
  const producer = eastKafka.producer({ idempotent: true });
  await producer.connect();
  const copies: [Codec, CopyFigures][] = [];
  let latencyFigures: LatencyFigures = { p50: Number.NaN, p99: Number.NaN };
  for (const [run, codec] of RUNS.entries()) {
    const bulk = bulkOf(run);
    await preload(producer, bulk, records, size, codec);
    const decompressed: CompressionObservation[] = [];
    const running = await startTool(tool, east, west, run === 0 ? `${bulk}|${live}` : bulk, codec, (o) => {
      if (o.direction === 'decompress') decompressed.push(o);
    });
    const remote = `us-east.${bulk}`;
    const { ms, cpuMs } = await copyTime(westKafka, remote, records, () => [
      running.cpuMs(),
      groupCpuMs(east.pid) + groupCpuMs(west.pid),
    ]);
    const load = loadavg()[0] ?? Number.NaN;
    if (run === 0) latencyFigures = await latency(producer, westKafka, live, tag);
    let sidecar: CopyFigures['sidecar'];
    if (running.replicator) {
      const labels = { flow: 'us-east->us-west', codec };
      const packed = running.replicator.metrics.counter(
        'mirrorkit_replicator_compressed_bytes_total',
        labels,
      );
      const saved = running.replicator.metrics.counter(
        'mirrorkit_replicator_compression_saved_bytes_total',
        labels,
      );
      sidecar = {
        decompressedBatches: decompressed.length,
        copyRatio: packed > 0 ? (packed + saved) / packed : Number.NaN,
      };
    }
    await running.stop();
    const batches = await storedBatches(join(west.dataDir, 'log'), remote, 0);
    copies.push([
      codec,
      {
        recordsPerSecond: (records / ms) * 1000,
        mbPerSecond: (records * size) / 1024 / 1024 / (ms / 1000),
        toolCpuUs: ((cpuMs[0] ?? Number.NaN) * 1000) / records,
        brokersCpuUs: ((cpuMs[1] ?? Number.NaN) * 1000) / records,
        load,
        targetCodecs: [...new Set(batches.map((b) => b.codec))].join('+') || '?',
        targetBatchRecords: batches.reduce((n, b) => n + b.count, 0) / Math.max(1, batches.length),
        sourceLogBytes: logBytes(east, bulk),
        targetLogBytes: logBytes(west, remote),
        ...(sidecar ? { sidecar } : {}),
      },
    ]);
  }
  await producer.disconnect();
  return { copies, latency: latencyFigures };
}

const ratio = (x: number, y: number): string => fmt(x / y, 2);
const mb = (bytes: number): string => fmt(bytes / 1024 / 1024, 1);

export async function runReplicator(): Promise<void> {
  // First, before this bench starts any broker: the codecs alone.
  const costs = await runCodecCost();

  const records = Number(process.env.BENCH_RECORDS ?? 200_000);
  const size = 1024;
  console.log(
    `\n== replicator: sidecar vs MirrorMaker 2 (${fmt(records)} records of ${size} B JSON events, ${PARTITIONS} partitions; a copy per codec of source topic and copies, in the order ${RUNS.join(', ')}, each with the tool started afresh; latency at 1,000 records/s, uncompressed) ==`,
  );
  const results = new Map<Tool, Awaited<ReturnType<typeof measure>>>();
  for (const tool of ['MirrorMaker 2', 'mirrorkit sidecar'] as const) {
    const clusters = await startClusters(['us-east', 'us-west']);
    try {
      results.set(
        tool,
        await measure(tool, clusters[0] as KafkaCluster, clusters[1] as KafkaCluster, records, size),
      );
    } finally {
      await Promise.all(clusters.map((c) => c.stop()));
    }
  }
  const mm2 = results.get('MirrorMaker 2') as Awaited<ReturnType<typeof measure>>;
  const mk = results.get('mirrorkit sidecar') as Awaited<ReturnType<typeof measure>>;
  const runsOf = (r: typeof mm2, codec: Codec): CopyFigures[] =>
    r.copies.filter(([c]) => c === codec).map(([, f]) => f);
  // A codec's run, the last if it ran twice (the warm uncompressed copy, not the first).
  const last = (r: typeof mm2, codec: Codec): CopyFigures => runsOf(r, codec).at(-1) as CopyFigures;
  const rate = (r: typeof mm2, codec: Codec): number => last(r, codec).recordsPerSecond;
  const cold = (r: typeof mm2): number => (runsOf(r, 'none')[0] as CopyFigures).recordsPerSecond;

  // Throughput: each codec beside uncompressed, and the sidecar beside MM2 for each.
  const rows = [
    ['copy throughput (records/s)', 'none, first (cold)', 'none', 'lz4', 'zstd', 'lz4 / none', 'zstd / none'],
  ];
  for (const [tool, r] of results)
    rows.push([
      tool,
      fmt(cold(r)),
      ...CODECS.map((c) => fmt(rate(r, c))),
      ratio(rate(r, 'lz4'), rate(r, 'none')),
      ratio(rate(r, 'zstd'), rate(r, 'none')),
    ]);
  rows.push([
    'sidecar / MM2',
    ratio(cold(mk), cold(mm2)),
    ...CODECS.map((c) => ratio(rate(mk, c), rate(mm2, c))),
    '',
    '',
  ]);
  console.log(table(rows));

  // Each run: CPU per record (the tool's and the brokers'), the codec the target's batches really
  // carry, their size, and the bytes on disk.
  const detail = [
    [
      'run (in order)',
      'records/s',
      'MB/s',
      'tool CPU µs/rec',
      'brokers CPU µs/rec',
      'target batches',
      'records/batch',
      'source log MB',
      'target log MB',
      'vs uncompressed',
      'load',
    ],
  ];
  for (const [tool, r] of results) {
    const plainBytes = last(r, 'none').targetLogBytes;
    for (const [codec, f] of r.copies)
      detail.push([
        `${tool}, ${codec}`,
        fmt(f.recordsPerSecond),
        fmt(f.mbPerSecond, 1),
        fmt(f.toolCpuUs, 1),
        fmt(f.brokersCpuUs, 1),
        f.targetCodecs,
        fmt(f.targetBatchRecords),
        mb(f.sourceLogBytes),
        mb(f.targetLogBytes),
        `${ratio(plainBytes, f.targetLogBytes)}×`,
        fmt(f.load, 1),
      ]);
  }
  console.log(`\n${table(detail)}`);

  // The sidecar's codec work during its runs, and what the in-process figures make of it.
  const at = (codec: 'lz4' | 'zstd'): CodecCost | undefined =>
    costs.find((c) => c.codec === codec && c.size === size) ?? costs.find((c) => c.codec === codec);
  const work = [
    [
      'sidecar, codec',
      'source batches decompressed',
      'records/batch',
      'copy ratio',
      'codec CPU/record (in process)',
      'share of one core at its rate',
    ],
  ];
  for (const codec of ['lz4', 'zstd'] as const) {
    const f = last(mk, codec);
    const cost = at(codec);
    const perRecordNs = cost ? cost.compress.cpuNs + cost.decompress.cpuNs : Number.NaN;
    const batches = f.sidecar?.decompressedBatches ?? 0;
    work.push([
      codec,
      fmt(batches),
      batches > 0 ? fmt(records / batches) : '-',
      `${fmt(f.sidecar?.copyRatio ?? Number.NaN, 2)}×`,
      `${fmt(perRecordNs / 1000, 1)} µs`,
      `${fmt((perRecordNs * f.recordsPerSecond) / 1e7, 1)} %`,
    ]);
  }
  console.log(`\n${table(work)}`);

  const lat = [['latency (ms), uncompressed', 'p50', 'p99']];
  lat.push(['MirrorMaker 2', fmt(mm2.latency.p50), fmt(mm2.latency.p99)]);
  lat.push(['mirrorkit sidecar', fmt(mk.latency.p50), fmt(mk.latency.p99)]);
  lat.push(['sidecar / MM2', ratio(mk.latency.p50, mm2.latency.p50), ratio(mk.latency.p99, mm2.latency.p99)]);
  console.log(`\n${table(lat)}`);
}
