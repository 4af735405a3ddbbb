// bench/active-active: dedup checks per second and bytes per remembered key at 1M keys against a
// plain Map, LWW merges per second, and the cost of the dedup/lww wrappers in a real kafkajs
// consume loop. `pnpm bench active-active`. Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  Deduplicator,
  dedup,
  dedupBatch,
  HybridLogicalClock,
  type LwwEntry,
  LwwMap,
  lww,
  mergeEntries,
  stampMessage,
} from '@mirrorkit/active-active';
import { createTopicsAndWait } from '@mirrorkit/core';
import { startCluster } from '@mirrorkit/testkit';
import { type EachBatchPayload, type EachMessagePayload, Kafka, logLevel } from 'kafkajs';
import { fmt, table } from './measure.js';

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
 * A Deduplicator at its steady state: 1M keys or more remembered, so new keys keep retiring old
 * generations. One per variant, reused: each run refills it with 2M keys never used before (twice
 * maxKeys: both generations), which push out all it held, so every run starts from the same state
 * without allocating (and later freeing) another 34 MB — freeing them takes a full collection,
 * which would land in some run at random.
 */
function steadyDeduplicator(): () => Deduplicator {
  const d = new Deduplicator({ maxKeys: KEYS });
  let fills = 0;
  return () => {
    const fill = fills++;
    for (let i = 0; i < 2 * KEYS; i++) d.add(`us-west:filler-${fill}-${i}`);
    return d;
  };
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

type BatchRun = { eachBatch: (p: EachBatchPayload) => Promise<void>; eachBatchAutoResolve: false };
/** Builds a variant's handler (an eachMessage handler, or eachBatch run settings). */
type Variant = (done: () => void) => ((p: EachMessagePayload) => Promise<void>) | BatchRun;

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

    let run = 0;
    async function consumeAll(handlerFor: Variant): Promise<{ perSecond: number; cpuUs: number }> {
      const consumer = kafka.consumer({ groupId: `bench-${run++}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['accounts'], fromBeginning: true });
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolveDone) => {
        finish = resolveDone;
      });
      let seen = 0;
      // Built before the clock starts (a variant fills its Deduplicator first); then a full
      // collection, so no run inherits another's garbage (pnpm bench fixes the young generation's
      // size, which a full collection would otherwise shrink).
      const handler = handlerFor(() => {
        if (++seen === records) finish();
      });
      gc();
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await consumer.run(typeof handler === 'function' ? { eachMessage: handler } : handler);
      // A variant that skipped records it should have handled would wait forever: fail instead.
      let stall: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        stall = setTimeout(
          () => reject(new Error(`only ${seen} of ${records} records handled after 180 s`)),
          180_000,
        );
      });
      await Promise.race([finished, stalled]).finally(() => clearTimeout(stall));
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      await consumer.disconnect();
      return { perSecond: (records / ms) * 1000, cpuUs: (cpu.user + cpu.system) / records };
    }
    // Every variant does the same application work (parse the record, update a map), so the
    // difference is what the wrappers add.
    const parse = (p: EachMessagePayload) =>
      JSON.parse(p.message.value?.toString() ?? '{}') as { account: string; amount: number };
    // The same handler in a per-message loop over kafkajs's eachBatch, as dedupBatch() runs it:
    // the baseline dedupBatch() is measured against.
    const eachBatchLoop = (handler: (p: EachMessagePayload) => Promise<void>): BatchRun => ({
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch, heartbeat, pause } = payload;
        for (const message of batch.messages) {
          if (!payload.isRunning() || payload.isStale()) break;
          await handler({ topic: batch.topic, partition: batch.partition, message, heartbeat, pause });
          payload.resolveOffset(message.offset);
          await heartbeat();
          await payload.commitOffsetsIfNecessary();
        }
      },
    });
    const lwwApply = (done: () => void) => {
      const state = new Map<string, LwwEntry<number>>();
      const apply = lww<EachMessagePayload, number>({
        clock: new HybridLogicalClock({ region: 'us-west' }),
        store: { get: (k) => state.get(k), put: (k, e) => void state.set(k, e) },
        writeOf: (p) => {
          const body = parse(p);
          return { key: body.account, value: body.amount };
        },
      });
      return async (p: EachMessagePayload) => {
        await apply(p);
        done();
      };
    };
    const plainWork = (done: () => void) => {
      const state = new Map<string, number>();
      return async (p: EachMessagePayload) => {
        const body = parse(p);
        state.set(body.account, body.amount);
        done();
      };
    };
    const EACH_MESSAGE = 'plain kafkajs eachMessage';
    const EACH_BATCH = 'plain kafkajs eachBatch, same per-message loop';
    // [name, handler, the plain run it is compared with]
    const variants: [string, Variant, string][] = [
      [EACH_MESSAGE, plainWork, EACH_MESSAGE],
      [
        'dedup(), 1M keys remembered',
        (
          (filled) => (done) =>
            dedup(plainWork(done), { deduplicator: filled() })
        )(steadyDeduplicator()),
        EACH_MESSAGE,
      ],
      [
        'dedup(lww()), 1M keys remembered',
        (
          (filled) => (done) =>
            dedup(lwwApply(done), { deduplicator: filled() })
        )(steadyDeduplicator()),
        EACH_MESSAGE,
      ],
      [
        'dedup(), new empty Deduplicator',
        (done) => dedup(plainWork(done), { deduplicator: new Deduplicator({ maxKeys: KEYS }) }),
        EACH_MESSAGE,
      ],
      [EACH_BATCH, (done) => eachBatchLoop(plainWork(done)), EACH_BATCH],
      [
        'dedupBatch(), 1M keys remembered',
        (
          (filled) => (done) =>
            dedupBatch(plainWork(done), { deduplicator: filled() }).runConfig
        )(steadyDeduplicator()),
        EACH_BATCH,
      ],
      [
        'dedupBatch(lww()), 1M keys remembered',
        (
          (filled) => (done) =>
            dedupBatch(lwwApply(done), { deduplicator: filled() }).runConfig
        )(steadyDeduplicator()),
        EACH_BATCH,
      ],
    ];
    const only = process.env.BENCH_VARIANTS?.split(',');
    const chosen = only ? variants.filter(([name]) => only.some((o) => name.startsWith(o))) : variants;
    // Rounds interleaved (each plain run, then each wrapper), median per variant: the broker and the
    // JIT warm up alike. The Node process's CPU time per record is the steadier figure (throughput
    // also depends on the broker sharing the machine); the overhead range is over the rounds, each
    // wrapper against its plain run of the same round.
    const results = new Map<string, { perSecond: number; cpuUs: number }[]>(
      chosen.map(([name]) => [name, []]),
    );
    for (let round = 0; round < rounds; round++)
      for (const [name, make] of chosen) results.get(name)?.push(await consumeAll(make));
    const rows = [
      ['handler', 'records/s', 'throughput overhead', 'CPU µs/record', 'CPU overhead', 'per round (µs)'],
    ];
    for (const [name, , baseline] of chosen) {
      const runs = results.get(name) ?? [];
      const plainRuns = results.get(baseline) ?? [];
      const perSecond = median(runs.map((r) => r.perSecond));
      const cpuUs = median(runs.map((r) => r.cpuUs));
      const plain = {
        perSecond: median(plainRuns.map((r) => r.perSecond)),
        cpuUs: median(plainRuns.map((r) => r.cpuUs)),
      };
      const isPlain = name === baseline;
      const extra = runs.map((r, i) => r.cpuUs - (plainRuns[i]?.cpuUs ?? Number.NaN)).sort((x, y) => x - y);
      const vs = baseline === EACH_MESSAGE ? '' : ' vs eachBatch';
      rows.push([
        name,
        fmt(perSecond),
        isPlain ? '-' : `${fmt(((plain.perSecond - perSecond) / plain.perSecond) * 100, 1)} %${vs}`,
        fmt(cpuUs, 2),
        isPlain
          ? '-'
          : `+${fmt(cpuUs - plain.cpuUs, 2)} µs (${fmt(((cpuUs - plain.cpuUs) / plain.cpuUs) * 100, 1)} %)${vs}`,
        isPlain ? '-' : `${fmt(extra[0] as number, 2)} … ${fmt(extra.at(-1) as number, 2)}`,
      ]);
    }
    // The same comparison inside one consume loop: its batches go alternately to the plain loop and
    // to the wrapper, each timed. Both halves share the broker,
    // the heap, the caches and the moment, so the round-to-round noise of separate runs (larger
    // than the effect measured) cancels out; the denominator is the whole run's CPU per record.
    const abRows = [
      ['interleaved per batch, one loop', 'plain µs/record', 'wrapped µs/record', 'overhead', 'range'],
    ];
    const abVariants: [string, (done: () => void) => BatchRun['eachBatch']][] = [
      [
        'dedup(), 1M keys remembered',
        (
          (filled) => (done: () => void) =>
            eachBatchLoop(dedup(plainWork(done), { deduplicator: filled() })).eachBatch
        )(steadyDeduplicator()),
      ],
      [
        'dedupBatch(), 1M keys remembered',
        (
          (filled) => (done: () => void) =>
            dedupBatch(plainWork(done), { deduplicator: filled() })
        )(steadyDeduplicator()),
      ],
      [
        // The same with a seen-set that fits the CPU caches: what is left is the CPU work.
        'dedupBatch(), 1,000 keys remembered',
        (done: () => void) =>
          dedupBatch(plainWork(done), { deduplicator: new Deduplicator({ maxKeys: 1000 }) }),
      ],
      [
        'dedupBatch(lww()), 1M keys remembered',
        (
          (filled) => (done: () => void) =>
            dedupBatch(lwwApply(done), { deduplicator: filled() })
        )(steadyDeduplicator()),
      ],
    ];
    for (const [name, makeWrapped] of abVariants.filter(
      ([n]) => !only || only.some((o) => n.startsWith(o)),
    )) {
      const shares: number[] = [];
      let plainPer = 0;
      let wrappedPer = 0;
      for (let round = 0; round < rounds; round++) {
        const spent = { plain: 0, wrapped: 0, plainRecords: 0, wrappedRecords: 0 };
        const { cpuUs } = await consumeAll((done) => {
          const plain = eachBatchLoop(plainWork(done)).eachBatch;
          const wrapped = makeWrapped(done);
          let turn = 0;
          return {
            eachBatchAutoResolve: false,
            eachBatch: async (payload) => {
              const useWrapped = turn++ % 2 === 1;
              // Wall time: this process has its own CPU (pinned apart from the broker), and the
              // kernel's CPU-time accounting is too coarse (ticks) for one batch.
              const before = performance.now();
              await (useWrapped ? wrapped(payload) : plain(payload));
              const us = (performance.now() - before) * 1000;
              if (useWrapped) {
                spent.wrapped += us;
                spent.wrappedRecords += payload.batch.messages.length;
              } else {
                spent.plain += us;
                spent.plainRecords += payload.batch.messages.length;
              }
            },
          };
        });
        const p = spent.plain / spent.plainRecords;
        const w = spent.wrapped / spent.wrappedRecords;
        plainPer += p / rounds;
        wrappedPer += w / rounds;
        shares.push(((w - p) / cpuUs) * 100);
      }
      const sorted = [...shares].sort((x, y) => x - y);
      abRows.push([
        name,
        fmt(plainPer, 2),
        fmt(wrappedPer, 2),
        `+${fmt(wrappedPer - plainPer, 2)} µs (${fmt(median(shares), 1)} % of the run's CPU per record)`,
        `${fmt(sorted[0] as number, 1)} … ${fmt(sorted.at(-1) as number, 1)} %`,
      ]);
    }
    return [rows, abRows];
  } finally {
    await cluster.stop();
  }
}

export async function runActiveActive(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  // BENCH_SECTIONS=dedup,lww,wrappers (default: all) runs only some parts.
  const sections = new Set((process.env.BENCH_SECTIONS ?? 'dedup,lww,wrappers').split(','));
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
  if (sections.has('wrappers')) {
    const records = Number(process.env.BENCH_RECORDS ?? 200_000);
    console.log(
      `\n== active-active: wrappers in a real consume loop (${fmt(records)} records, 1 broker, median of ${rounds} interleaved rounds) ==`,
    );
    const [separate, interleaved] = await wrapperFigures(records, rounds);
    console.log(table(separate ?? []));
    console.log('');
    console.log(table(interleaved ?? []));
  }
}
