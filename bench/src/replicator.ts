// bench/replicator: the sidecar side by side with its peers on the same two local clusters, in one
// run: real MirrorMaker 2 (dedicated mode) with tasks.max 1 and with tasks.max = partitions, a bare
// kafkajs consume -> produce loop (the limit of a kafkajs pipeline) and the same loop on
// @platformatic/kafka. For each: throughput copying a pre-loaded topic (uncompressed) and end-to-end
// latency at a steady 1,000 records/s; then the goals, each with measured values and ratio.
// `pnpm bench replicator`; knobs: BENCH_RECORDS (per copy, default 100,000), BENCH_WARMUP=0 (skip
// the untimed first copy), BENCH_PROFILE=latency|copy (CPU profile of the sidecar's latency or copy run),
// BENCH_TOOLS (comma-separated subset of the tags below). Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsAndWait } from '@mirrorkit/core';
import { startReplicator } from '@mirrorkit/replicator';
import {
  type KafkaCluster,
  mirrorMakerTestProperties,
  startClusters,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { eventValues } from './codec-cost.js';
import { startKafkajsLoop, startPlatformaticLoop } from './copy-loops.js';
import { profiled } from './cpu-profile.js';
import { fmt, percentile, table } from './measure.js';

const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PARTITIONS = 6;
const RATE = 1000;
const LATENCY_SECONDS = 15;

const TOOLS = {
  'mm2-1': 'MirrorMaker 2, tasks.max=1',
  'mm2-n': `MirrorMaker 2, tasks.max=${PARTITIONS}`,
  sidecar: 'mirrorkit sidecar',
  kafkajs: 'raw kafkajs loop',
  'kafkajs-n': `raw kafkajs loop, ${PARTITIONS} partitions at once`,
  platformatic: 'platformatic loop',
} as const;
type Tag = keyof typeof TOOLS;

/** The box is shared (CI, integration tests): each section says how busy it was. */
const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' })
      .trim()
      .replace(/^.*load/, 'load');
  } catch {
    return 'uptime unavailable';
  }
};

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

/** Writes `records` JSON events of `size` bytes to `topic`, 1,000 per send, uncompressed. */
async function preload(producer: Producer, topic: string, records: number, size: number): Promise<void> {
  const values = eventValues(4096, size);
  for (let i = 0; i < records; i += 1000)
    await producer.send({
      topic,
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
}

async function startTool(
  tag: Tag,
  east: KafkaCluster,
  west: KafkaCluster,
  topics: string[],
): Promise<Running> {
  const properties = mirrorMakerTestProperties({
    clusters: { 'us-east': east.bootstrapServers, 'us-west': west.bootstrapServers },
    flows: ['us-east->us-west'],
    extra: {
      'us-east->us-west.topics': topics.join('|'),
      'tasks.max': tag === 'mm2-n' ? String(PARTITIONS) : '1',
    },
  });
  const group = `bench-${tag}-copy`;
  switch (tag) {
    case 'mm2-1':
    case 'mm2-n': {
      const mm2 = await startMirrorMaker({ properties });
      return { stop: () => mm2.stop(), cpuMs: () => groupCpuMs(mm2.pid) };
    }
    case 'sidecar': {
      const replicator = await startReplicator({ properties });
      // In this process: its CPU is the process's (less a few offset polls).
      return { stop: () => replicator.stop(), cpuMs: processCpuMs };
    }
    case 'kafkajs':
    case 'kafkajs-n': {
      const concurrency = tag === 'kafkajs-n' ? PARTITIONS : 1;
      const loop = await startKafkajsLoop(
        east.bootstrapServers,
        west.bootstrapServers,
        topics,
        group,
        concurrency,
      );
      return { stop: () => loop.stop(), cpuMs: processCpuMs };
    }
    case 'platformatic': {
      const loop = await startPlatformaticLoop(east.bootstrapServers, west.bootstrapServers, topics, group);
      return { stop: () => loop.stop(), cpuMs: processCpuMs };
    }
  }
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
  const deadline = Date.now() + 300_000;
  for (;;) {
    const n = await total(west, topic);
    if (n > 0 && first === 0) {
      first = Date.now();
      cpuAtFirst = cpu();
    }
    if (n >= records) break;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${records} records on ${topic} after 300 s`);
    await sleep(50);
  }
  const ms = Math.max(1, Date.now() - first);
  return { ms, cpuMs: cpu().map((c, i) => c - (cpuAtFirst[i] ?? 0)) };
}

interface LatencyFigures {
  p50: number;
  p99: number;
  received: number;
}

/** A steady 1,000 records/s for 15 s, each stamped with its send time, read on the target. */
async function latency(producer: Producer, west: Kafka, live: string, tag: string): Promise<LatencyFigures> {
  const latencies: number[] = [];
  const consumer = west.consumer({ groupId: `bench-latency-${tag}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [`us-east.${live}`], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      latencies.push(Date.now() - Number(message.value?.toString()));
    },
  });
  await sleep(2000);
  // Paced against the clock, not by sleeping after each send: a slow send does not lower the rate.
  const started = Date.now();
  for (let s = 0; s < LATENCY_SECONDS * 10; s++) {
    await producer.send({
      topic: live,
      messages: Array.from({ length: RATE / 10 }, () => ({ value: String(Date.now()) })),
    });
    await sleep(Math.max(0, started + (s + 1) * 100 - Date.now()));
  }
  const wanted = RATE * LATENCY_SECONDS;
  const deadline = Date.now() + 60_000;
  while (latencies.length < wanted && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  const sorted = [...latencies].sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), received: sorted.length };
}

interface Figures {
  recordsPerSecond: number;
  /** CPU per record copied, while copying: the tool (MM2's JVM, or this process otherwise). */
  toolCpuUs: number;
  brokersCpuUs: number;
  latency: LatencyFigures;
  loadBefore: string;
  loadAfter: string;
}

/** Creates each topic with {@link PARTITIONS} partitions on `kafka`. */
async function createTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, { topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })) });
  await admin.disconnect();
}

/** One tool: a copy of a pre-loaded topic, then the latency at a steady rate, with the tool started once. */
async function measure(
  tag: Tag | 'warmup',
  east: KafkaCluster,
  west: KafkaCluster,
  records: number,
  size: number,
): Promise<Figures> {
  const loadBefore = uptime();
  const bulk = `bench-${tag}-bulk`;
  const live = `bench-${tag}-live`;
  const eastKafka = quiet(east.bootstrapServers);
  const westKafka = quiet(west.bootstrapServers);
  await createTopics(eastKafka, [bulk, live]);
  // MM2 and the sidecar create the remote topics themselves; the bench's loops write to existing ones.
  const tool: Tag = tag === 'warmup' ? 'kafkajs' : tag;
  if (tool === 'kafkajs' || tool === 'kafkajs-n' || tool === 'platformatic')
    await createTopics(westKafka, [`us-east.${bulk}`, `us-east.${live}`]);
  const producer = eastKafka.producer({ idempotent: true });
  await producer.connect();
  await preload(producer, bulk, records, size);
  const running = await startTool(tool, east, west, [bulk, live]);
  try {
    const copy = () =>
      copyTime(westKafka, `us-east.${bulk}`, records, () => [
        running.cpuMs(),
        groupCpuMs(east.pid) + groupCpuMs(west.pid),
      ]);
    const { ms, cpuMs } =
      tag === 'sidecar' && process.env.BENCH_PROFILE === 'copy' ? await profile('copy', copy) : await copy();
    let figures: LatencyFigures = { p50: Number.NaN, p99: Number.NaN, received: 0 };
    if (tag !== 'warmup') {
      await waitForTopic(westKafka, `us-east.${live}`);
      const run = () => latency(producer, westKafka, live, tag);
      figures =
        tag === 'sidecar' && process.env.BENCH_PROFILE === 'latency'
          ? await profile('latency', run)
          : await run();
    }
    return {
      recordsPerSecond: (records / ms) * 1000,
      toolCpuUs: ((cpuMs[0] ?? Number.NaN) * 1000) / records,
      brokersCpuUs: ((cpuMs[1] ?? Number.NaN) * 1000) / records,
      latency: figures,
      loadBefore,
      loadAfter: uptime(),
    };
  } finally {
    await running.stop();
    await producer.disconnect();
  }
}

/** `work` under the CPU profiler, its top self-time functions printed. */
async function profile<T>(what: string, work: () => Promise<T>): Promise<T> {
  const file = join(tmpdir(), `bench-sidecar-${what}-${Date.now()}.cpuprofile`);
  const { result, rows } = await profiled(file, work);
  console.log(`\nCPU profile of this process during the sidecar's ${what} run (${file}):`);
  console.log(table(rows));
  return result;
}

async function waitForTopic(kafka: Kafka, topic: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    await admin.connect();
    const has = (await admin.listTopics()).includes(topic);
    await admin.disconnect();
    if (has) return;
    await sleep(200);
  }
  throw new Error(`${topic} did not appear on the target in 60 s`);
}

const ratio = (x: number, y: number): string => fmt(x / y, 2);

export async function runReplicator(): Promise<void> {
  const records = Number(process.env.BENCH_RECORDS ?? 100_000);
  const size = 1024;
  const wanted = (process.env.BENCH_TOOLS ?? Object.keys(TOOLS).join(','))
    .split(',')
    .filter((t): t is Tag => t in TOOLS);
  console.log(
    `\n== replicator: sidecar vs MirrorMaker 2 vs bare loops (${fmt(records)} records of ${size} B JSON events, ${PARTITIONS} partitions, uncompressed; one pair of clusters, each tool started afresh on topics of its own; latency at ${fmt(RATE)} records/s for ${LATENCY_SECONDS} s) ==`,
  );
  console.log(`start: ${uptime()}`);
  const results = new Map<Tag, Figures>();
  const clusters = await startClusters(['us-east', 'us-west']);
  const [east, west] = clusters as [KafkaCluster, KafkaCluster];
  try {
    // The brokers spend about twice the CPU per record in their first full copy (they warm up over
    // it): an untimed one first, so no tool pays for it.
    if (process.env.BENCH_WARMUP !== '0') {
      const w = await measure('warmup', east, west, records, size);
      console.log(`warm-up copy (untimed, raw kafkajs loop): ${fmt(w.recordsPerSecond)} records/s`);
    }
    for (const tag of wanted) {
      const f = await measure(tag, east, west, records, size);
      results.set(tag, f);
      console.log(
        `${TOOLS[tag]}: ${fmt(f.recordsPerSecond)} records/s, p50 ${fmt(f.latency.p50)} ms, p99 ${fmt(f.latency.p99)} ms` +
          `\n  before: ${f.loadBefore}\n  after:  ${f.loadAfter}`,
      );
    }
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
  console.log(`end: ${uptime()}`);

  const sidecar = results.get('sidecar');
  const rows = [
    [
      'tool',
      'records/s',
      'sidecar / this',
      'tool CPU µs/rec',
      'brokers CPU µs/rec',
      'p50 ms',
      'p99 ms',
      'received',
    ],
  ];
  for (const [tag, f] of results)
    rows.push([
      TOOLS[tag],
      fmt(f.recordsPerSecond),
      sidecar ? ratio(sidecar.recordsPerSecond, f.recordsPerSecond) : '-',
      fmt(f.toolCpuUs, 1),
      fmt(f.brokersCpuUs, 1),
      fmt(f.latency.p50),
      fmt(f.latency.p99),
      fmt(f.latency.received),
    ]);
  console.log(`\n${table(rows)}`);

  const mm2 = [results.get('mm2-1'), results.get('mm2-n')].filter((f): f is Figures => f !== undefined);
  const raw = results.get('kafkajs');
  if (!sidecar || mm2.length === 0 || !raw) return;
  const bestRate = Math.max(...mm2.map((f) => f.recordsPerSecond));
  const bestP50 = Math.min(...mm2.map((f) => f.latency.p50));
  const bestP99 = Math.min(...mm2.map((f) => f.latency.p99));
  const s = sidecar;
  const goals = [
    ['goal', 'sidecar', 'against', 'ratio', 'wanted', 'met'],
    row('throughput >= 3x the better MM2', s.recordsPerSecond, bestRate, 3, true),
    row('throughput >= 90 % of the raw kafkajs loop', s.recordsPerSecond, raw.recordsPerSecond, 0.9, true),
    row('p50 at 1,000 rec/s <= the better MM2', s.latency.p50, bestP50, 1, false),
    row('p99 at 1,000 rec/s <= half the better MM2', s.latency.p99, bestP99, 0.5, false),
  ];
  console.log(`\n${table(goals)}`);
}

/** A goal's row: `value / against` held against `wanted`, at least (`atLeast`) or at most. */
function row(goal: string, value: number, against: number, wanted: number, atLeast: boolean): string[] {
  const r = value / against;
  const met = atLeast ? r >= wanted : r <= wanted;
  return [
    goal,
    fmt(value),
    fmt(against),
    fmt(r, 2),
    `${atLeast ? '>=' : '<='} ${wanted}`,
    met ? 'met' : 'NOT met',
  ];
}
