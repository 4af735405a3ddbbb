// bench/replicator: the sidecar side by side with its peers on the same two local clusters, in one
// run: real MirrorMaker 2 (dedicated mode) with tasks.max 1 and with tasks.max = partitions, a bare
// kafkajs consume -> produce loop (the limit of a kafkajs pipeline) and the same loop on
// @platformatic/kafka. For each: throughput copying a pre-loaded topic (uncompressed) and end-to-end
// latency at a steady 1,000 records/s; then the goals, each with measured values and ratio.
//
// Latency is measured in BENCH_LATENCY_ROUNDS rounds (default 2): round 1 right after each tool's
// copy, in the order given; each later round starts the sidecar and the MM2s afresh on a topic of
// their own, in the reverse order of the round before. Whoever runs late in a round gets brokers
// warmed up by the others (a difference of tens of ms at p99), so the goals use the median over the
// rounds. Each round also measures the floor: the same producer and reader on a source topic with
// no copy at all, the reader's own share of every tool's figures.
//
// The sidecar runs as users run it: `mirrorkit-replicator --config mm2.properties` in a Node
// process of its own (its CPU read from /proc like MM2's JVM), as MM2 runs in its own JVM. In the
// bench's process it shared an event loop with the producer and the reader: measured side by side
// (load 1.3-1.8, 5 rounds), in process p99 132-200 ms vs 47-95 ms as a process of its own, p50
// about the same. BENCH_SIDECAR=in-process runs it in this process again (needed for BENCH_PROFILE).
//
// `pnpm bench replicator`; knobs: BENCH_RECORDS (per copy, default 100,000), BENCH_WARMUP=0 (skip
// the untimed first copy), BENCH_PROFILE=latency|copy (CPU profile of the sidecar's latency or copy
// run; with BENCH_SIDECAR=in-process), BENCH_TOOLS (comma-separated subset of the tags below),
// BENCH_LATENCY_ROUNDS. Prints figures; asserts nothing.
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
import { startSidecarProcess } from './replicator-sidecar.js';

const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PARTITIONS = 6;
const RATE = 1000;
const LATENCY_SECONDS = 15;
const LATENCY_ROUNDS = Math.max(1, Number(process.env.BENCH_LATENCY_ROUNDS ?? 2));
const SIDECAR_IN_PROCESS = process.env.BENCH_SIDECAR === 'in-process';
/** The tools the latency goals compare; the bare loops' latency is round 1's alone. */
const LATER_ROUNDS: ReadonlySet<string> = new Set(['sidecar', 'mm2-1', 'mm2-n']);

const TOOLS = {
  'mm2-1': 'MirrorMaker 2, tasks.max=1',
  'mm2-n': `MirrorMaker 2, tasks.max=${PARTITIONS}`,
  sidecar: 'mirrorkit sidecar',
  kafkajs: 'raw kafkajs loop',
  'kafkajs-n': `raw kafkajs loop, ${PARTITIONS} partitions at once`,
  platformatic: 'platformatic loop',
} as const;
type Tag = keyof typeof TOOLS;
/** The latency rounds also measure the floor: no copy at all, read where it was written. */
type LatencyTag = Tag | 'floor';
const FLOOR = 'floor (no copy: source -> source)';
const label = (tag: LatencyTag): string => (tag === 'floor' ? FLOOR : TOOLS[tag]);

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
      if (SIDECAR_IN_PROCESS) {
        const replicator = await startReplicator({ properties });
        // In this process: its CPU is the process's (less a few offset polls).
        return { stop: () => replicator.stop(), cpuMs: processCpuMs };
      }
      const sidecar = await startSidecarProcess(properties);
      return { stop: () => sidecar.stop(), cpuMs: () => groupCpuMs(sidecar.pid) };
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

/** A steady 1,000 records/s for 15 s to `live`, each stamped with its send time, read from `read` on `reader`. */
async function latency(
  producer: Producer,
  reader: Kafka,
  live: string,
  read: string,
  group: string,
): Promise<LatencyFigures> {
  const latencies: number[] = [];
  const consumer = reader.consumer({ groupId: group, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [read], fromBeginning: true });
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
      tag === 'sidecar' && SIDECAR_IN_PROCESS && process.env.BENCH_PROFILE === 'copy'
        ? await profile('copy', copy)
        : await copy();
    let figures: LatencyFigures = { p50: Number.NaN, p99: Number.NaN, received: 0 };
    if (tag !== 'warmup') {
      await waitForTopic(westKafka, `us-east.${live}`);
      const run = () => latency(producer, westKafka, live, `us-east.${live}`, `bench-latency-${tag}`);
      figures =
        tag === 'sidecar' && SIDECAR_IN_PROCESS && process.env.BENCH_PROFILE === 'latency'
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

/**
 * A later latency round: the tool started afresh on a live topic of the round's own (no copy
 * before it), or for the floor no tool at all, the reader on the source topic itself.
 */
async function latencyRound(
  tag: LatencyTag,
  round: number,
  east: KafkaCluster,
  west: KafkaCluster,
): Promise<LatencyFigures> {
  const live = `bench-${tag}-live-r${round}`;
  const eastKafka = quiet(east.bootstrapServers);
  const westKafka = quiet(west.bootstrapServers);
  await createTopics(eastKafka, [live]);
  const producer = eastKafka.producer({ idempotent: true });
  await producer.connect();
  const group = `bench-latency-${tag}-r${round}`;
  if (tag === 'floor') {
    try {
      return await latency(producer, eastKafka, live, live, group);
    } finally {
      await producer.disconnect();
    }
  }
  if (tag === 'kafkajs' || tag === 'kafkajs-n' || tag === 'platformatic')
    await createTopics(westKafka, [`us-east.${live}`]);
  const running = await startTool(tag, east, west, [live]);
  try {
    await waitForTopic(westKafka, `us-east.${live}`);
    return await latency(producer, westKafka, live, `us-east.${live}`, group);
  } finally {
    await running.stop();
    await producer.disconnect();
  }
}

/** The floor in the first round, where the tools measure theirs right after their copy. */
async function floorLatency(east: KafkaCluster): Promise<LatencyFigures> {
  const live = 'bench-floor-live-r1';
  const eastKafka = quiet(east.bootstrapServers);
  await createTopics(eastKafka, [live]);
  const producer = eastKafka.producer({ idempotent: true });
  await producer.connect();
  try {
    return await latency(producer, eastKafka, live, live, 'bench-latency-floor-r1');
  } finally {
    await producer.disconnect();
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

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
  if (process.env.BENCH_PROFILE && !SIDECAR_IN_PROCESS)
    console.log('BENCH_PROFILE is ignored: it profiles this process; set BENCH_SIDECAR=in-process');
  const began = Date.now();
  const results = new Map<Tag, Figures>();
  const rounds = new Map<LatencyTag, LatencyFigures[]>();
  const clusters = await startClusters(['us-east', 'us-west']);
  const [east, west] = clusters as [KafkaCluster, KafkaCluster];
  try {
    // The brokers spend about twice the CPU per record in their first full copy (they warm up over
    // it): an untimed one first, so no tool pays for it.
    if (process.env.BENCH_WARMUP !== '0') {
      const w = await measure('warmup', east, west, records, size);
      console.log(`warm-up copy (untimed, raw kafkajs loop): ${fmt(w.recordsPerSecond)} records/s`);
    }
    // Round 1: the floor, then each tool's copy and its latency right after, in the given order.
    const floor = await floorLatency(east);
    rounds.set('floor', [floor]);
    console.log(`round 1, ${FLOOR}: p50 ${fmt(floor.p50)} ms, p99 ${fmt(floor.p99)} ms (${uptime()})`);
    for (const tag of wanted) {
      const f = await measure(tag, east, west, records, size);
      results.set(tag, f);
      rounds.set(tag, [f.latency]);
      console.log(
        `round 1, ${TOOLS[tag]}: ${fmt(f.recordsPerSecond)} records/s, p50 ${fmt(f.latency.p50)} ms, p99 ${fmt(f.latency.p99)} ms` +
          `\n  before: ${f.loadBefore}\n  after:  ${f.loadAfter}`,
      );
    }
    // Later rounds: latency only, the order reversed every other round, so the warm-up the brokers
    // give whoever runs late in a round goes to each tool in turn.
    const order: LatencyTag[] = ['floor', ...wanted.filter((t) => LATER_ROUNDS.has(t))];
    for (let round = 2; round <= LATENCY_ROUNDS; round++) {
      for (const tag of round % 2 === 0 ? [...order].reverse() : order) {
        const loadBefore = uptime();
        const f = await latencyRound(tag, round, east, west);
        rounds.get(tag)?.push(f);
        console.log(
          `round ${round}, ${label(tag)}: p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99)} ms` +
            `\n  before: ${loadBefore}\n  after:  ${uptime()}`,
        );
      }
    }
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
  console.log(`end: ${uptime()} (${fmt((Date.now() - began) / 1000)} s)`);
  /** Median over the rounds of each tool's p50 and p99. */
  const medians = new Map<LatencyTag, { p50: number; p99: number }>(
    [...rounds].map(([tag, figures]) => [
      tag,
      { p50: median(figures.map((f) => f.p50)), p99: median(figures.map((f) => f.p99)) },
    ]),
  );

  const sidecar = results.get('sidecar');
  const rows = [['tool', 'records/s', 'sidecar / this', 'tool CPU µs/rec', 'brokers CPU µs/rec']];
  for (const [tag, f] of results)
    rows.push([
      TOOLS[tag],
      fmt(f.recordsPerSecond),
      sidecar ? ratio(sidecar.recordsPerSecond, f.recordsPerSecond) : '-',
      fmt(f.toolCpuUs, 1),
      fmt(f.brokersCpuUs, 1),
    ]);
  console.log(`\n${table(rows)}`);

  const roundNumbers = Array.from({ length: LATENCY_ROUNDS }, (_, i) => i + 1);
  const latencyRows = [
    [
      `latency at ${fmt(RATE)} rec/s`,
      ...roundNumbers.map((r) => `r${r} p50/p99 ms`),
      'median p50',
      'median p99',
      'received',
    ],
  ];
  for (const [tag, figures] of rounds) {
    const m = medians.get(tag);
    latencyRows.push([
      label(tag),
      ...roundNumbers.map((r) => {
        const f = figures[r - 1];
        return f ? `${fmt(f.p50)} / ${fmt(f.p99)}` : '-';
      }),
      fmt(m?.p50 ?? Number.NaN, 1),
      fmt(m?.p99 ?? Number.NaN, 1),
      figures.map((f) => fmt(f.received)).join(' '),
    ]);
  }
  console.log(
    `\n${table(latencyRows)}\n(round 1 in the order given after the floor, round 2 reversed, and so on)`,
  );

  const mm2 = [results.get('mm2-1'), results.get('mm2-n')].filter((f): f is Figures => f !== undefined);
  const raw = results.get('kafkajs');
  if (!sidecar || mm2.length === 0) return;
  const bestRate = Math.max(...mm2.map((f) => f.recordsPerSecond));
  const mm2Medians = (['mm2-1', 'mm2-n'] as const).flatMap((t) => medians.get(t) ?? []);
  const bestP50 = Math.min(...mm2Medians.map((m) => m.p50));
  const bestP99 = Math.min(...mm2Medians.map((m) => m.p99));
  const s = sidecar;
  const sm = medians.get('sidecar') ?? { p50: Number.NaN, p99: Number.NaN };
  const goals = [
    ['goal', 'sidecar', 'against', 'ratio', 'wanted', 'met'],
    row('throughput >= 3x the better MM2', s.recordsPerSecond, bestRate, 3, true),
    ...(raw
      ? [
          row(
            'throughput >= 90 % of the raw kafkajs loop',
            s.recordsPerSecond,
            raw.recordsPerSecond,
            0.9,
            true,
          ),
        ]
      : []),
    row('p50 at 1,000 rec/s <= the better MM2 (medians)', sm.p50, bestP50, 1, false),
    row('p99 at 1,000 rec/s <= half the better MM2 (medians)', sm.p99, bestP99, 0.5, false),
  ];
  console.log(`\n${table(goals)}`);
}

/** A goal's row: `value / against` held against `wanted`, at least (`atLeast`) or at most. */
function row(goal: string, value: number, against: number, wanted: number, atLeast: boolean): string[] {
  const r = value / against;
  const met = atLeast ? r >= wanted : r <= wanted;
  return [
    goal,
    fmt(value, 1),
    fmt(against, 1),
    fmt(r, 2),
    `${atLeast ? '>=' : '<='} ${wanted}`,
    met ? 'met' : 'NOT met',
  ];
}
