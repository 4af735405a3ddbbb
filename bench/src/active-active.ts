// bench/active-active: dedup checks per second and bytes per remembered key at 1M keys against a
// plain Map, LWW merges per second, and the cost of the dedup/lww wrappers in a real kafkajs
// consume loop. `pnpm bench active-active`. Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  CoPartitioning,
  Deduplicator,
  dedup,
  HybridLogicalClock,
  type LwwEntry,
  LwwMap,
  mergeEntries,
  PartitionedSeenKeyStore,
  stampMessage,
} from '@mirrorkit/active-active';
import { createTopicsAndWait } from '@mirrorkit/core';
import { startCluster } from '@mirrorkit/testkit';
import {
  type EachMessagePayload,
  Kafka,
  logLevel,
  type PartitionAssigner,
  PartitionAssigners,
} from 'kafkajs';
import type { LoopResult, LoopVariant } from './consume-loop.js';
import { fmt, table } from './measure.js';
import { wrapperCostFigures } from './wrapper-cost.js';

const KEYS = 1_000_000;
const key = (i: number): string => `us-east:${randomUUID()}-${i}`;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc (pnpm bench does)');
  collect();
  collect();
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes retained per key by `fill`, which must keep what it builds reachable through its result. */
function bytesPerKey(fill: () => unknown): { bytes: number; keep: unknown } {
  gc();
  const before = memory();
  const keep = fill();
  gc();
  return { bytes: (memory() - before) / KEYS, keep };
}

/** A Map with the same count bound, evicting oldest first: the obvious alternative. */
class MapDedup {
  readonly seen = new Map<string, number>();
  constructor(readonly maxKeys: number) {}
  check(k: string): boolean {
    if (this.seen.has(k)) return true;
    if (this.seen.size === this.maxKeys) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(k, Date.now());
    return false;
  }
}

/** Runs `work` (which does `count` operations) and returns operations per CPU-second and per wall-second. */
function measure(count: number, work: () => void): { cpu: number; wall: number } {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  work();
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  return { cpu: count / ((cpu.user + cpu.system) / 1e6), wall: (count / wallMs) * 1000 };
}

async function measureAsync(
  count: number,
  work: () => Promise<void>,
): Promise<{ cpu: number; wall: number }> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  return { cpu: count / ((cpu.user + cpu.system) / 1e6), wall: (count / wallMs) * 1000 };
}

function rate(count: number, work: () => void): number {
  const started = performance.now();
  work();
  return (count / (performance.now() - started)) * 1000;
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

function range(xs: readonly number[]): string {
  const sorted = [...xs].sort((x, y) => x - y);
  return `${fmt((sorted[0] as number) / 1e6, 2)}–${fmt((sorted.at(-1) as number) / 1e6, 2)} M`;
}

/**
 * Steady state at 1M keys: the table is full, and of the checks half are keys never seen (each
 * evicts the oldest) and half repeat a random key among the newest 500k (still remembered).
 */
function steadyWorkload<K>(keys: readonly K[], count: number, seed: number): K[] {
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const work: K[] = [];
  let next = KEYS;
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) work.push(keys[next++] as K);
    else work.push(keys[next - 1 - Math.floor(random() * (KEYS / 2))] as K);
  }
  return work;
}

function dedupFigures(): { checks: string[][]; memory: string[][] } {
  // Memory: keys are built on the fly, so a structure pays only for what it retains.
  const retained = (make: () => { check(k: string): unknown }) => {
    const measured = bytesPerKey(() => {
      const d = make();
      for (let i = 0; i < KEYS; i++) d.check(key(i));
      return d;
    });
    measured.keep = null;
    gc();
    return measured.bytes;
  };
  const bytesNoWindow = retained(() => new Deduplicator({ maxKeys: KEYS }));
  const bytesWindow = retained(() => new Deduplicator({ maxKeys: KEYS, windowMs: 24 * 3600_000 }));
  const bytesMap = retained(() => new MapDedup(KEYS));

  // Speed, at 1M keys, over three kinds of key:
  // - sequential ids (`us-east:order-<n>`), built in order (the strings lie in memory in order);
  // - random UUIDs (`us-east:<uuid>`), 2M strings, repeats read from random places in the heap;
  // - record keys as kafkajs hands them over (Buffers of random-UUID keys), through dedup() with
  //   a no-op handler (what a consumer pays per record) and through check(bytes).
  // Flat strings, as Buffer#toString makes them (a template literal makes a rope).
  const flat = (text: string): string => Buffer.from(text).toString();
  const sequential = Array.from({ length: KEYS * 2 }, (_, i) => flat(`us-east:order-${i}`));
  const uuids = Array.from({ length: KEYS * 2 }, (_, i) => flat(key(i)));
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const results = new Map<string, number[]>();
  const record = (name: string, value: number) => results.set(name, [...(results.get(name) ?? []), value]);
  // Warm the JIT on a throwaway instance first.
  const warm = new Deduplicator({ maxKeys: 100_000 });
  for (let i = 0; i < 300_000; i++) warm.check(sequential[i] as string);
  for (let round = 0; round < rounds; round++) {
    for (const [name, keys] of [
      ['sequential ids', sequential],
      ['random UUIDs', uuids],
    ] as const) {
      const d = new Deduplicator({ maxKeys: KEYS });
      const fill = measure(KEYS, () => {
        for (let i = 0; i < KEYS; i++) d.check(keys[i] as string);
      });
      const work = steadyWorkload(keys, KEYS, round + 1);
      const steady = measure(work.length, () => {
        for (const k of work) d.check(k);
      });
      record(`${name} fill`, fill.cpu);
      record(`${name} steady`, steady.cpu);
      record(`${name} steady wall`, steady.wall);
    }
  }
  const checks: string[][] = [
    ['Deduplicator.check(string) at 1M keys', 'fill to 1M', 'full, half new', 'range', 'wall-clock'],
  ];
  for (const name of ['sequential ids', 'random UUIDs']) {
    const steady = results.get(`${name} steady`) ?? [];
    checks.push([
      name,
      fmt(median(results.get(`${name} fill`) ?? [])),
      fmt(median(steady)),
      range(steady),
      fmt(median(results.get(`${name} steady wall`) ?? [])),
    ]);
  }
  // The Map, once (evicting its oldest entry degrades badly: V8 skips deleted entries on every
  // keys().next(), so its steady state gets a shorter run).
  const map = new MapDedup(KEYS);
  const mapFill = measure(KEYS, () => {
    for (let i = 0; i < KEYS; i++) map.check(uuids[i] as string);
  });
  const mapWork = steadyWorkload(uuids, 20_000, 1);
  const mapSteady = measure(mapWork.length, () => {
    for (const k of mapWork) map.check(k);
  });
  checks.push([
    'Map<string, number> + FIFO, random UUIDs',
    fmt(mapFill.cpu),
    fmt(mapSteady.cpu),
    '-',
    fmt(mapSteady.wall),
  ]);
  const memoryRows = [
    ['structure', 'bytes per key at 1M keys'],
    ['Deduplicator', fmt(bytesNoWindow, 1)],
    ['Deduplicator with windowMs', fmt(bytesWindow, 1)],
    ['Map<string, number> + FIFO eviction', fmt(bytesMap, 1)],
  ];
  return { checks, memory: memoryRows };
}

async function bufferFigures(): Promise<string[][]> {
  // Record keys as Buffers: 400k payloads, steady state at 1M keys (filled with the same kind of
  // keys as text, as a restored store would).
  const count = 400_000;
  const texts = Array.from({ length: KEYS + count }, (_, i) => key(i));
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const results = new Map<string, number[]>();
  const record = (name: string, value: number) => results.set(name, [...(results.get(name) ?? []), value]);
  const noop = async (): Promise<void> => undefined;
  for (let round = 0; round < rounds; round++) {
    const work = steadyWorkload(texts, count, round + 1).map((k) => Buffer.from(k));
    const payloads = work.map((k, i) => ({
      topic: 'orders',
      partition: 0,
      message: { key: k, value: null, offset: String(i), timestamp: '0', attributes: 0, headers: {} },
    }));
    const filled = () => {
      const d = new Deduplicator({ maxKeys: KEYS });
      for (let i = 0; i < KEYS; i++) d.add(texts[i] as string);
      return d;
    };
    const viaCheck = filled();
    record(
      'check(bytes)',
      measure(count, () => {
        for (const k of work) viaCheck.check(k);
      }).cpu,
    );
    const viaText = filled();
    record(
      'check(bytes.toString())',
      measure(count, () => {
        for (const k of work) viaText.check(k.toString());
      }).cpu,
    );
    const handler = dedup(noop, { deduplicator: filled() });
    record(
      'dedup()',
      (
        await measureAsync(count, async () => {
          for (const p of payloads) await handler(p as unknown as EachMessagePayload);
        })
      ).cpu,
    );
  }
  const rows: string[][] = [
    ['record keys (Buffers of random-UUID keys), 1M keys, half new', 'per CPU-s', 'range'],
  ];
  for (const [name, label] of [
    ['check(bytes)', 'Deduplicator.check(message.key)'],
    ['check(bytes.toString())', 'Deduplicator.check(message.key.toString())'],
    ['dedup()', 'dedup() handler, no-op handler, awaited one by one'],
  ] as const) {
    const xs = results.get(name) ?? [];
    rows.push([label, fmt(median(xs)), range(xs)]);
  }
  return rows;
}

function lwwFigures(): string[][] {
  const clocks = ['us-east', 'us-west', 'eu-west'].map((region) => new HybridLogicalClock({ region }));
  const entries: LwwEntry<number>[] = Array.from({ length: 100_000 }, (_, i) => ({
    stamp: (clocks[i % 3] as HybridLogicalClock).now(),
    id: `r:${i}`,
    deleted: i % 50 === 0,
    value: i,
  }));
  const merges = rate(entries.length * 10, () => {
    for (let round = 0; round < 10; round++) {
      let acc: LwwEntry<number> | undefined;
      for (const e of entries) acc = mergeEntries(acc, e);
    }
  });
  const applies = rate(entries.length * 10, () => {
    for (let round = 0; round < 10; round++) {
      const map = new LwwMap<number>();
      for (let i = 0; i < entries.length; i++) map.apply(`acct-${i % 1000}`, entries[i] as LwwEntry<number>);
    }
  });
  const clock = clocks[0] as HybridLogicalClock;
  const stamps = rate(1_000_000, () => {
    for (let i = 0; i < 1_000_000; i++) clock.now();
  });
  return [
    ['operation', 'per second'],
    ['mergeEntries', fmt(merges)],
    ['LwwMap.apply (1,000 keys)', fmt(applies)],
    ['HybridLogicalClock.now', fmt(stamps)],
  ];
}

/**
 * Pins the broker's processes to the first CPU and this process to the others, so the consume loop
 * being measured does not share a core (and its caches) with the broker it reads from: otherwise
 * the broker's work lands on the consumer's core at random and is most of the round-to-round noise.
 */
function pinApart(brokerGroup: number): string {
  const cpus = availableParallelism();
  if (cpus < 2) return '(one CPU: broker and consumer share it)';
  try {
    const members = execFileSync('pgrep', ['-g', String(brokerGroup)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '');
    for (const pid of members) execFileSync('taskset', ['-a', '-cp', '0', pid], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-cp', `1-${cpus - 1}`, String(process.pid)], { stdio: 'ignore' });
    return `(broker pinned to CPU 0, this process to CPU 1${cpus > 2 ? `-${cpus - 1}` : ''})`;
  } catch (error) {
    return `(not pinned: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

async function wrapperFigures(records: number, rounds: number): Promise<string[][][]> {
  const cluster = await startCluster({ alias: 'bench' });
  try {
    console.log(pinApart(cluster.pid));
    const kafka = new Kafka({ brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'accounts', numPartitions: 3 }] });
    await admin.disconnect();
    const clock = new HybridLogicalClock({ region: 'us-east' });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < records; i += 5000) {
      await producer.send({
        topic: 'accounts',
        messages: Array.from({ length: 5000 }, (_, j) =>
          stampMessage(
            { key: `evt-${i + j}`, value: JSON.stringify({ account: `a${(i + j) % 1000}`, amount: i + j }) },
            clock,
          ),
        ),
      });
    }
    await producer.disconnect();

    // Each run in a fresh process (consume-loop.ts), on this process's CPU; rounds interleaved
    // (each variant once, then again), median per variant.
    let run = 0;
    const consumeIn = (variant: LoopVariant, paired: boolean): LoopResult => {
      const out = execFileSync(
        process.execPath,
        [
          '--expose-gc',
          '--min-semi-space-size=16',
          fileURLToPath(new URL('./consume-loop.js', import.meta.url)),
        ],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            LOOP_VARIANT: variant,
            LOOP_BROKERS: cluster.bootstrapServers,
            LOOP_TOPIC: 'accounts',
            LOOP_RECORDS: String(records),
            LOOP_PAIRED: paired ? '1' : '0',
            LOOP_GROUP: `bench-${run++}`,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoopResult;
    };
    // BENCH_VARIANTS='dedupBatch|plain eachBatch' (name prefixes, |-separated): only those.
    const only = process.env.BENCH_VARIANTS?.split('|');
    const chosen = <T extends readonly [LoopVariant, ...unknown[]]>(list: T[]): T[] =>
      only ? list.filter(([name]) => only.some((o) => name.startsWith(o))) : list;
    // Rounds interleaved: every variant once, then again, so they share the machine's drift.
    const inRounds = (names: LoopVariant[], paired: boolean): Map<LoopVariant, LoopResult[]> => {
      const results = new Map<LoopVariant, LoopResult[]>(names.map((name) => [name, []]));
      for (let round = 0; round < rounds; round++)
        for (const name of names) results.get(name)?.push(consumeIn(name, paired));
      return results;
    };

    // 1. Each variant alone: the whole process's CPU per record, against the plain loop it wraps.
    const alone: [LoopVariant, LoopVariant][] = chosen([
      ['plain eachMessage', 'plain eachMessage'],
      ['dedup(), 1M keys', 'plain eachMessage'],
      ['lww()', 'plain eachMessage'],
      ['dedup(lww()), 1M keys', 'plain eachMessage'],
      ['plain eachBatch', 'plain eachBatch'],
      ['dedupBatch(), 1M keys', 'plain eachBatch'],
      ['dedupBatch(lww()), 1M keys', 'plain eachBatch'],
    ]);
    // A chosen variant's baseline runs too, even when BENCH_VARIANTS leaves it out.
    const results = inRounds([...new Set(alone.flat())], false);
    const rows = [['alone, a process per run', 'records/s', 'CPU µs/record', 'CPU overhead', 'per round']];
    for (const [name, baseline] of alone) {
      const runs = results.get(name) ?? [];
      const plainRuns = results.get(baseline) ?? [];
      const cpuUs = median(runs.map((r) => r.cpuUs));
      const plain = median(plainRuns.map((r) => r.cpuUs));
      const extra = runs.map((r, i) => r.cpuUs - (plainRuns[i]?.cpuUs ?? Number.NaN)).sort((x, y) => x - y);
      const isPlain = name === baseline;
      rows.push([
        name,
        fmt(median(runs.map((r) => r.perSecond))),
        fmt(cpuUs, 2),
        isPlain
          ? '-'
          : `+${fmt(cpuUs - plain, 2)} µs (${fmt(((cpuUs - plain) / plain) * 100, 1)} %) vs ${baseline}`,
        isPlain ? '-' : `${fmt(extra[0] as number, 2)} … ${fmt(extra.at(-1) as number, 2)} µs`,
      ]);
    }

    // 2. Paired with plain batches in the same loop (see consume-loop.ts): per variant, the median
    // of its batches' differences from the plain batch they were paired with, as a share of the
    // plain loop's whole cost per record (fetching and decoding included).
    const paired: [LoopVariant, string][] = chosen([
      ['plain eachBatch, same again', 'the plain loop against itself: what the method reads as zero'],
      ['plain eachBatch reading keys ahead', 'reading keys ahead alone, as dedupBatch() does'],
      ['dedupBatch(), 1M keys', ''],
      ['dedupBatch(), 1,000 keys', 'a seen-set that fits the CPU caches'],
      ['dedup(), 1M keys', 'per message, in kafkajs’s loop'],
      ['lww()', ''],
      ['dedupBatch(lww()), 1M keys', ''],
    ]);
    const pairedRuns = inRounds(
      paired.map(([name]) => name),
      true,
    );
    const abRows = [['paired with plain batches, one loop', 'overhead (median)', 'per round', '']];
    for (const [name, note] of paired) {
      const runs = pairedRuns.get(name) ?? [];
      // The plain loop's whole cost per record: the run's, less what the variant's half added.
      const plainTotal = median(runs.map((r) => r.cpuUs - median(r.diffs) / 2));
      const pct = (us: number) => `${fmt((us / plainTotal) * 100, 1)} %`;
      const overhead = median(runs.flatMap((r) => r.diffs));
      const perRound = runs.map((r) => median(r.diffs)).sort((x, y) => x - y);
      abRows.push([
        name,
        `${overhead >= 0 ? '+' : ''}${fmt(overhead, 2)} µs (${pct(overhead)})`,
        `${pct(perRound[0] as number)} … ${pct(perRound.at(-1) as number)}`,
        note,
      ]);
    }
    return [rows, abRows];
  } finally {
    await cluster.stop();
  }
}

const GROUP_PARTITIONS = 12;

/**
 * A seen-key record's value as KafkaSeenKeyStore writes it (seen-key-codec.ts: 'MK', version 1,
 * first-seen ms as int64 BE): the bench fills the store in bulk instead of one acked write a key.
 * The restore counts what it took, so a format drift shows as 0 keys.
 */
function seenAtValue(ms: number): Buffer {
  const value = Buffer.alloc(11);
  value[0] = 0x4d;
  value[1] = 0x4b;
  value[2] = 1;
  value.writeBigInt64BE(BigInt(ms), 3);
  return value;
}

/**
 * A consumer group of three with co-partitioning: the hand-over when one of three dies (its
 * partitions' seen keys restored by a survivor from a store of 1M keys over 12 partitions), the
 * seen-set each instance needs for its share, and dedup throughput of three in-process members
 * with the co-partitioned assigner against kafkajs's round-robin.
 */
async function groupFigures(records: number, rounds: number): Promise<string[][][]> {
  const cluster = await startCluster({ alias: 'bench' });
  try {
    const kafka = new Kafka({ brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING });
    const storeTopic = 'ledger.mirrorkit-seen';
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [{ topic: storeTopic, numPartitions: GROUP_PARTITIONS }],
    });
    await admin.disconnect();
    // 1M seen keys, as three instances would have written them: partition p holds p's keys.
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const value = seenAtValue(Date.now());
    for (let i = 0; i < KEYS; i += 10_000) {
      await producer.send({
        topic: storeTopic,
        messages: Array.from({ length: 10_000 }, (_, j) => ({
          key: key(i + j),
          value,
          partition: (i + j) % GROUP_PARTITIONS,
        })),
      });
    }

    const handover: string[][] = [['restore (1M keys over 12 partitions)', 'keys', 'ms (median)', 'range']];
    // A survivor of three takes 2 of the dead one's 4 partitions; a third of the keys is a fresh
    // instance's whole share (4 partitions).
    for (const [label, partitions] of [
      ['a survivor takes 2 partitions of the dead', [4, 5]],
      ['a third of the keys (4 partitions)', [0, 1, 2, 3]],
    ] as const) {
      const times: number[] = [];
      let keys = 0;
      for (let round = 0; round < rounds; round++) {
        const seen = new Deduplicator({ maxKeys: 400_000, windowMs: 24 * 3600_000 });
        const store = new PartitionedSeenKeyStore(kafka, { topic: storeTopic, partitions: GROUP_PARTITIONS });
        await store.open(seen);
        const started = performance.now();
        store.assign(partitions);
        await Promise.all(partitions.map((p) => store.preparePartition(undefined, p, seen)));
        times.push(performance.now() - started);
        keys = seen.stats().size;
        await store.close();
      }
      handover.push([
        label,
        fmt(keys),
        fmt(median(times)),
        `${fmt(Math.min(...times))}–${fmt(Math.max(...times))}`,
      ]);
    }

    const memoryRows: string[][] = [
      ['seen-set per instance (1M keys, 24 h window)', 'maxKeys', 'reserved MB'],
    ];
    for (const [label, maxKeys] of [
      ['every instance holds every key (one store partition)', KEYS],
      ['its share of three (partitioned store)', Math.ceil(KEYS / 3)],
      ["after taking half of a dead member's share", Math.ceil(KEYS / 2)],
    ] as const) {
      const seen = new Deduplicator({ maxKeys, windowMs: 24 * 3600_000 });
      memoryRows.push([label, fmt(maxKeys), fmt(seen.reservedBytes / 2 ** 20, 1)]);
    }

    await producer.disconnect();
    const throughput: string[][] = [
      ['3 members, 8 partitions, dedup (in memory)', 'records/s (median)', 'range', 'handled twice'],
    ];
    const variants: [string, () => PartitionAssigner][] = [
      ['kafkajs round-robin', () => PartitionAssigners.roundRobin],
      ['co-partitioned', () => new CoPartitioning().partitionAssigner],
    ];
    const results = new Map<string, { rates: number[]; twice: number }>();
    for (let round = 0; round < rounds; round++) {
      for (const [label, assigner] of variants) {
        const r = await groupRun(kafka, `${label.replace(/[^a-z]/g, '')}-${round}`, assigner, records);
        const entry = results.get(label) ?? { rates: [], twice: 0 };
        entry.rates.push(r.rate);
        entry.twice = r.twice;
        results.set(label, entry);
      }
    }
    for (const [label, { rates, twice }] of results)
      throughput.push([label, fmt(median(rates)), range(rates), fmt(twice)]);
    return [handover, memoryRows, throughput];
  } finally {
    await cluster.stop();
  }
}

/**
 * Three in-process members of a fresh group over fresh copies `accounts-<run>` and
 * `us-west.accounts-<run>`: the group is whole before the records are written, so no rebalance
 * falls inside the measure; `records` events go to the local topic, a third of them (same key) to
 * the remote copy too. Measured from the first record delivered to the last, production included.
 */
async function groupRun(
  kafka: Kafka,
  run: string,
  assigner: () => PartitionAssigner,
  records: number,
): Promise<{ rate: number; twice: number }> {
  const local = `accounts-${run}`;
  const remote = `us-west.accounts-${run}`;
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, {
    // 8, not 12: with 12 (a multiple of three members) round-robin happens to put both copies of
    // p on one member, and the comparison would not show what co-partitioning changes.
    topics: [local, remote].map((topic) => ({ topic, numPartitions: 8 })),
  });
  const handled = new Map<string, number>();
  const total = records + Math.ceil(records / 3);
  let delivered = 0;
  let first = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolveAll) => {
    done = resolveAll;
  });
  const consumers = [];
  try {
    for (let m = 0; m < 3; m++) {
      const seen = new Deduplicator({ maxKeys: 400_000 });
      const consumer = kafka.consumer({
        groupId: run,
        partitionAssigners: [assigner()],
        maxWaitTimeInMs: 100,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [local, remote], fromBeginning: true });
      consumers.push(consumer);
      const handler = dedup<EachMessagePayload>(
        async ({ message }) => {
          const id = message.key?.toString() ?? '';
          handled.set(id, (handled.get(id) ?? 0) + 1);
        },
        { deduplicator: seen },
      );
      await consumer.run({
        partitionsConsumedConcurrently: 4,
        eachMessage: async (payload) => {
          if (first === 0) first = performance.now();
          await handler(payload);
          if (++delivered === total) done();
        },
      });
    }
    for (let stable = false; !stable; ) {
      const { groups } = await admin.describeGroups([run]);
      stable = groups[0]?.state === 'Stable' && groups[0].members.length === 3;
      if (!stable) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < records; i += 5000) {
      const ids = Array.from({ length: Math.min(5000, records - i) }, (_, j) => i + j);
      await producer.sendBatch({
        topicMessages: [
          { topic: local, messages: ids.map((n) => ({ key: `us-east:evt-${n}`, value: 'v' })) },
          {
            topic: remote,
            messages: ids.filter((n) => n % 3 === 0).map((n) => ({ key: `us-east:evt-${n}`, value: 'v' })),
          },
        ],
      });
    }
    await producer.disconnect();
    await all;
    return {
      rate: (total / (performance.now() - first)) * 1000,
      twice: [...handled.values()].filter((n) => n > 1).length,
    };
  } finally {
    for (const c of consumers) await c.disconnect();
    await admin.disconnect();
  }
}

export async function runActiveActive(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  // BENCH_SECTIONS=dedup,lww,cost,wrappers,group (default: all) runs only some parts.
  const sections = new Set((process.env.BENCH_SECTIONS ?? 'dedup,lww,cost,wrappers,group').split(','));
  if (sections.has('dedup')) {
    console.log(
      `\n== active-active: dedup at 1M keys (checks per CPU-second, median of ${rounds} rounds) ==`,
    );
    const { checks, memory } = dedupFigures();
    console.log(table(checks));
    console.log('');
    console.log(table(await bufferFigures()));
    console.log('');
    console.log(table(memory));
  }
  if (sections.has('lww')) {
    console.log('\n== active-active: last-write-wins ==');
    console.log(table(lwwFigures()));
  }
  if (sections.has('cost')) {
    console.log('\n== active-active: what the wrappers add per record, without a broker ==');
    console.log(table(wrapperCostFigures(rounds, 20)));
  }
  if (sections.has('wrappers')) {
    const records = Number(process.env.BENCH_RECORDS ?? 200_000);
    console.log(
      `\n== active-active: wrappers in a real consume loop (${fmt(records)} records, 1 broker, a process per run, median of ${rounds} interleaved rounds) ==`,
    );
    const [separate, interleaved] = await wrapperFigures(records, rounds);
    console.log(table(separate ?? []));
    console.log('');
    console.log(table(interleaved ?? []));
  }
  if (sections.has('group')) {
    const records = Number(process.env.BENCH_GROUP_RECORDS ?? 60_000);
    console.log(
      `\n== active-active: a consumer group of three (1 broker, ${GROUP_PARTITIONS} partitions, median of ${rounds} rounds) ==`,
    );
    for (const rows of await groupFigures(records, rounds)) {
      console.log(table(rows));
      console.log('');
    }
  }
}
