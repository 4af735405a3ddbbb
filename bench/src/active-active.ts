// bench/active-active: dedup checks per second and bytes per remembered key at 1M keys against a
// plain Map, LWW merges per second, and the cost of the dedup/lww wrappers in a real kafkajs
// consume loop. `pnpm bench active-active`. Prints figures; asserts nothing.
import { randomUUID } from 'node:crypto';
import {
  Deduplicator,
  dedup,
  HybridLogicalClock,
  type LwwEntry,
  LwwMap,
  lww,
  mergeEntries,
  stampMessage,
} from '@mirrorkit/active-active';
import { createTopicsAndWait } from '@mirrorkit/core';
import { startCluster } from '@mirrorkit/testkit';
import { type EachMessagePayload, Kafka, logLevel } from 'kafkajs';
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

function rate(label: string, count: number, work: () => void): [string, number] {
  const started = performance.now();
  work();
  return [label, (count / (performance.now() - started)) * 1000];
}

function dedupFigures(): string[][] {
  // Memory: keys are built on the fly, so a structure pays only for what it retains.
  const dedupMem = bytesPerKey(() => {
    const d = new Deduplicator({ maxKeys: KEYS });
    for (let i = 0; i < KEYS; i++) d.check(key(i));
    return d;
  });
  const mapMem = bytesPerKey(() => {
    const m = new MapDedup(KEYS);
    for (let i = 0; i < KEYS; i++) m.check(key(i));
    return m;
  });
  void dedupMem.keep;
  void mapMem.keep;
  dedupMem.keep = null;
  mapMem.keep = null;
  gc();

  // Speed: the same pre-built keys for both; full tables, then half repeats and half new keys
  // (each new key evicts the oldest).
  const fresh = Array.from({ length: KEYS * 2 }, (_, i) => key(i));
  const mixed = Array.from({ length: KEYS }, (_, i) =>
    i % 2 === 0 ? (fresh[KEYS - 1 - (i % KEYS)] as string) : (fresh[KEYS + i] as string),
  );
  const d = new Deduplicator({ maxKeys: KEYS });
  const m = new MapDedup(KEYS);
  // Warm both up (JIT) on a throwaway instance first.
  const warmD = new Deduplicator({ maxKeys: 100_000 });
  const warmM = new MapDedup(100_000);
  for (let i = 0; i < 300_000; i++) {
    warmD.check(fresh[i] as string);
    warmM.check(fresh[i] as string);
  }
  const rows: string[][] = [
    ['structure', 'fill to 1M (checks/s)', 'at 1M, half repeats (checks/s)', 'bytes per key'],
  ];
  const [, dFill] = rate('fill', KEYS, () => {
    for (let i = 0; i < KEYS; i++) d.check(fresh[i] as string);
  });
  const [, dMixed] = rate('mixed', KEYS, () => {
    for (const k of mixed) d.check(k);
  });
  const [, mFill] = rate('fill', KEYS, () => {
    for (let i = 0; i < KEYS; i++) m.check(fresh[i] as string);
  });
  // A Map evicting its oldest entry degrades badly (V8 skips deleted entries on every
  // keys().next()), so it gets a shorter run.
  const [, mMixed] = rate('mixed', 20_000, () => {
    for (let i = 0; i < 20_000; i++) m.check(mixed[i] as string);
  });
  rows.push(['Deduplicator', fmt(dFill), fmt(dMixed), fmt(dedupMem.bytes, 1)]);
  rows.push(['Map<string, number> + FIFO eviction', fmt(mFill), fmt(mMixed), fmt(mapMem.bytes, 1)]);
  // What a consumer does per record: decode the key from its Buffer, then check it.
  const buffers = fresh.slice(KEYS, KEYS + 200_000).map((k) => Buffer.from(k));
  const [, fromBuffers] = rate('buffers', buffers.length, () => {
    for (const b of buffers) d.check(b.toString());
  });
  rows.push(['Deduplicator, key decoded from a Buffer', '-', fmt(fromBuffers), '-']);
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
  const [, merges] = rate('merge', entries.length * 10, () => {
    for (let round = 0; round < 10; round++) {
      let acc: LwwEntry<number> | undefined;
      for (const e of entries) acc = mergeEntries(acc, e);
    }
  });
  const [, applies] = rate('apply', entries.length * 10, () => {
    for (let round = 0; round < 10; round++) {
      const map = new LwwMap<number>();
      for (let i = 0; i < entries.length; i++) map.apply(`acct-${i % 1000}`, entries[i] as LwwEntry<number>);
    }
  });
  const clock = clocks[0] as HybridLogicalClock;
  const [, stamps] = rate('stamp', 1_000_000, () => {
    for (let i = 0; i < 1_000_000; i++) clock.now();
  });
  return [
    ['operation', 'per second'],
    ['mergeEntries', fmt(merges)],
    ['LwwMap.apply (1,000 keys)', fmt(applies)],
    ['HybridLogicalClock.now', fmt(stamps)],
  ];
}

async function wrapperFigures(records: number): Promise<string[][]> {
  const cluster = await startCluster({ alias: 'bench' });
  try {
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
    async function consumeAll(
      handlerFor: (done: () => void) => (p: EachMessagePayload) => Promise<void>,
    ): Promise<{ perSecond: number; cpuUs: number }> {
      const consumer = kafka.consumer({ groupId: `bench-${run++}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['accounts'], fromBeginning: true });
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolveDone) => {
        finish = resolveDone;
      });
      let seen = 0;
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await consumer.run({
        eachMessage: handlerFor(() => {
          if (++seen === records) finish();
        }),
      });
      await finished;
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      await consumer.disconnect();
      return { perSecond: (records / ms) * 1000, cpuUs: (cpu.user + cpu.system) / records };
    }
    // Every variant does the same application work (parse the record, update a map), so the
    // difference is what the wrappers add.
    const parse = (p: EachMessagePayload) =>
      JSON.parse(p.message.value?.toString() ?? '{}') as { account: string; amount: number };
    const variants: [string, (done: () => void) => (p: EachMessagePayload) => Promise<void>][] = [
      [
        'plain kafkajs eachMessage',
        (done) => {
          const state = new Map<string, number>();
          return async (p) => {
            const body = parse(p);
            state.set(body.account, body.amount);
            done();
          };
        },
      ],
      [
        'dedup()',
        (done) => {
          const state = new Map<string, number>();
          return dedup<EachMessagePayload>(
            async (p) => {
              const body = parse(p);
              state.set(body.account, body.amount);
              done();
            },
            { deduplicator: new Deduplicator({ maxKeys: KEYS }) },
          );
        },
      ],
      [
        'dedup(lww())',
        (done) => {
          const state = new Map<string, LwwEntry<number>>();
          const apply = lww<EachMessagePayload, number>({
            clock: new HybridLogicalClock({ region: 'us-west' }),
            store: { get: (k) => state.get(k), put: (k, e) => void state.set(k, e) },
            writeOf: (p) => {
              const body = parse(p);
              return { key: body.account, value: body.amount };
            },
          });
          return dedup<EachMessagePayload>(
            async (p) => {
              await apply(p);
              done();
            },
            { deduplicator: new Deduplicator({ maxKeys: KEYS }) },
          );
        },
      ],
    ];
    // Five rounds, interleaved, median per variant: the broker and the JIT warm up alike. The
    // Node process's CPU time per record is the steadier figure (throughput also depends on the
    // broker sharing the machine).
    const rounds = 5;
    const results = new Map<string, { perSecond: number; cpuUs: number }[]>(
      variants.map(([name]) => [name, []]),
    );
    for (let round = 0; round < rounds; round++)
      for (const [name, make] of variants) results.get(name)?.push(await consumeAll(make));
    const median = (xs: number[]): number =>
      [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const figures = (name: string) => {
      const runs = results.get(name) ?? [];
      return { perSecond: median(runs.map((r) => r.perSecond)), cpuUs: median(runs.map((r) => r.cpuUs)) };
    };
    const plain = figures('plain kafkajs eachMessage');
    const rows = [['handler', 'records/s', 'overhead', 'CPU µs/record', 'CPU overhead']];
    for (const [name] of variants) {
      const f = figures(name);
      const isPlain = name.startsWith('plain');
      rows.push([
        name,
        fmt(f.perSecond),
        isPlain ? '-' : `${fmt(((plain.perSecond - f.perSecond) / plain.perSecond) * 100, 1)} %`,
        fmt(f.cpuUs, 2),
        isPlain ? '-' : `${fmt(((f.cpuUs - plain.cpuUs) / plain.cpuUs) * 100, 1)} %`,
      ]);
    }
    return rows;
  } finally {
    await cluster.stop();
  }
}

export async function runActiveActive(): Promise<void> {
  console.log('\n== active-active: dedup at 1M keys ==');
  console.log(table(dedupFigures()));
  console.log('\n== active-active: last-write-wins ==');
  console.log(table(lwwFigures()));
  const records = Number(process.env.BENCH_RECORDS ?? 200_000);
  console.log(
    `\n== active-active: wrappers in a real consume loop (${fmt(records)} records, 1 broker, median of 5) ==`,
  );
  console.log(table(await wrapperFigures(records)));
}
