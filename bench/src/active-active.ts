// bench/active-active: dedup checks per second and bytes per remembered key at 1M keys against a
// plain Map, LWW merges per second, and the cost of the dedup/lww wrappers in a real kafkajs
// consume loop. `pnpm bench active-active`. Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  Deduplicator,
  dedup,
  HybridLogicalClock,
  type LwwEntry,
  LwwMap,
  mergeEntries,
  stampMessage,
} from '@mirrorkit/active-active';
import { createTopicsAndWait } from '@mirrorkit/core';
import { startCluster } from '@mirrorkit/testkit';
import { type EachMessagePayload, Kafka, logLevel } from 'kafkajs';
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

export async function runActiveActive(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  // BENCH_SECTIONS=dedup,lww,cost,wrappers (default: all) runs only some parts.
  const sections = new Set((process.env.BENCH_SECTIONS ?? 'dedup,lww,cost,wrappers').split(','));
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
}
