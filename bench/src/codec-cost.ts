// bench/codec-cost: what each Kafka codec costs per record, in process, on record-batch payloads
// laid out as Kafka's v2 records section (the bytes a producer compresses), text-like JSON values.
// Part of `pnpm bench replicator`; alone as `pnpm bench compression`. Prints figures; asserts nothing.
import { type CompressionCodecName, compressRecords, decompressRecords } from '@mirrorkit/core';
import { fmt, table } from './measure.js';

export const CODECS: readonly CompressionCodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];

/** A small deterministic PRNG (mulberry32), so every run compresses the same bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENTS = ['page_view', 'add_to_cart', 'remove_from_cart', 'checkout', 'search', 'login', 'logout'];
const PATHS = ['/products/', '/cart', '/search?q=', '/account/orders/', '/checkout/payment', '/category/'];
const COUNTRIES = ['DE', 'US', 'FR', 'GB', 'JP', 'BR', 'IN', 'NL', 'SE', 'PL'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];
const WORDS = ['red', 'blue', 'sale', 'new', 'gift', 'promo', 'summer', 'kids', 'outdoor', 'premium', 'eco'];

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;
const hex = (random: () => number, digits: number): string => {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
};

/**
 * `count` JSON event values of exactly `size` bytes each (clickstream-like: ids, timestamps,
 * user agents, amounts): text that compresses about as real event topics do, not a constant fill.
 */
export function eventValues(count: number, size: number, seed = 17): Buffer[] {
  const random = seededRandom(seed);
  const values: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const event: Record<string, string | number> = {
      id: `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${hex(random, 4)}-${hex(random, 12)}`,
      ts: 1_717_000_000_000 + i * 13 + Math.floor(random() * 10),
      user: `user-${Math.floor(random() * 100_000)}`,
      session: hex(random, 16),
      event: pick(random, EVENTS),
      path: `${pick(random, PATHS)}${Math.floor(random() * 50_000)}`,
      country: pick(random, COUNTRIES),
      amount: Number((random() * 500).toFixed(2)),
      items: Math.floor(random() * 8),
      ua: pick(random, AGENTS),
    };
    let json = JSON.stringify(event);
    const cart: Record<string, string | number>[] = [];
    while (json.length < size) {
      cart.push({
        sku: `SKU-${Math.floor(random() * 1_000_000)}`,
        qty: 1 + Math.floor(random() * 4),
        price: Number((random() * 200).toFixed(2)),
        tag: pick(random, WORDS),
      });
      json = JSON.stringify({ ...event, cart });
    }
    // Cut to the size (the tail of the last field may go: still text-like).
    values.push(Buffer.from(json.slice(0, size), 'latin1'));
  }
  return values;
}

function zigzagVarint(value: number, out: number[]): void {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * The records section of a v2 record batch, as Kafka's producer lays it out before compressing:
 * per record a varint length, attributes, timestamp and offset deltas, key, value, no headers.
 */
export function recordsSection(keys: readonly Buffer[], values: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  values.forEach((value, i) => {
    const key = keys[i] as Buffer;
    const head: number[] = [0]; // attributes
    zigzagVarint(i * 3, head); // timestamp delta (ms)
    zigzagVarint(i, head); // offset delta
    zigzagVarint(key.length, head);
    const mid: number[] = [];
    zigzagVarint(value.length, mid);
    const tail: number[] = [];
    zigzagVarint(0, tail); // headers
    const body = head.length + key.length + mid.length + value.length + tail.length;
    const length: number[] = [];
    zigzagVarint(body, length);
    parts.push(Buffer.from(length), Buffer.from(head), key, Buffer.from(mid), value, Buffer.from(tail));
  });
  return Buffer.concat(parts);
}

/** Distinct record batches of `records` records of `size`-byte values. */
export function eventBatches(batches: number, records: number, size: number): Buffer[] {
  const values = eventValues(batches * records, size);
  const keys = values.map((_, i) => Buffer.from(`user-${(i * 7919) % 100_000}`));
  return Array.from({ length: batches }, (_, b) =>
    recordsSection(keys.slice(b * records, (b + 1) * records), values.slice(b * records, (b + 1) * records)),
  );
}

interface Cost {
  /** Wall time per record, one batch at a time (each call awaited). */
  wallNs: number;
  /** Process CPU time (every thread: the native codecs run on libuv's pool) per record. */
  cpuNs: number;
}

/** Runs `work` over `inputs` in turn for about `ms` (after a quarter of that to warm up). */
async function cost(
  inputs: readonly Buffer[],
  recordsPerInput: number,
  work: (input: Buffer) => Promise<Buffer>,
  ms: number,
): Promise<Cost> {
  let k = 0;
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) await work(inputs[k++ % inputs.length] as Buffer);
  let records = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    await work(inputs[k++ % inputs.length] as Buffer);
    records += recordsPerInput;
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  return {
    wallNs: ((now - started) * 1e6) / records,
    cpuNs: ((used.user + used.system) * 1e3) / records,
  };
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Per-record cost of one codec on one batch shape: medians over the rounds. */
export interface CodecCost {
  codec: CompressionCodecName;
  records: number;
  size: number;
  /** Uncompressed bytes of one batch's records section. */
  batchBytes: number;
  ratio: number;
  compress: Cost;
  decompress: Cost;
}

/** Batch shapes measured: [records per batch, value bytes]. */
export const SHAPES: readonly (readonly [number, number])[] = [
  [200, 300],
  [500, 300],
  [160, 1024],
];

export async function measureCodecCosts(rounds = 5, ms = 150): Promise<CodecCost[]> {
  const out: CodecCost[] = [];
  for (const [records, size] of SHAPES) {
    const batches = eventBatches(8, records, size);
    const compressed = new Map<CompressionCodecName, Buffer[]>();
    for (const codec of CODECS)
      compressed.set(codec, await Promise.all(batches.map((b) => compressRecords(codec, b))));
    const samples = new Map<CompressionCodecName, { c: Cost[]; d: Cost[] }>(
      CODECS.map((codec) => [codec, { c: [], d: [] }]),
    );
    // Codecs interleaved round by round, so a noisy moment hits all of them, not one.
    for (let round = 0; round < rounds; round++) {
      for (const codec of CODECS) {
        const s = samples.get(codec) as { c: Cost[]; d: Cost[] };
        s.c.push(await cost(batches, records, (b) => compressRecords(codec, b), ms));
        s.d.push(
          await cost(compressed.get(codec) as Buffer[], records, (b) => decompressRecords(codec, b), ms),
        );
      }
    }
    const plain = batches.reduce((n, b) => n + b.length, 0);
    for (const codec of CODECS) {
      const s = samples.get(codec) as { c: Cost[]; d: Cost[] };
      const packed = (compressed.get(codec) as Buffer[]).reduce((n, b) => n + b.length, 0);
      const summary = (xs: Cost[]): Cost => ({
        wallNs: median(xs.map((x) => x.wallNs)),
        cpuNs: median(xs.map((x) => x.cpuNs)),
      });
      out.push({
        codec,
        records,
        size,
        batchBytes: plain / batches.length,
        ratio: plain / packed,
        compress: summary(s.c),
        decompress: summary(s.d),
      });
    }
  }
  return out;
}

export function codecCostTable(costs: readonly CodecCost[]): string {
  const rows = [
    [
      'codec',
      'batch',
      'batch bytes',
      'ratio',
      'compress ns/record',
      '(CPU)',
      'decompress ns/record',
      '(CPU)',
    ],
  ];
  for (const c of costs)
    rows.push([
      c.codec,
      `${c.records} × ${c.size} B`,
      fmt(c.batchBytes),
      `${fmt(c.ratio, 2)}×`,
      fmt(c.compress.wallNs),
      fmt(c.compress.cpuNs),
      fmt(c.decompress.wallNs),
      fmt(c.decompress.cpuNs),
    ]);
  return table(rows);
}

export async function runCodecCost(): Promise<CodecCost[]> {
  console.log(
    '\n== compression: cost per record of each Kafka codec, in process (compressRecords/decompressRecords on v2 records sections of JSON events; one batch at a time; median of 5 rounds) ==',
  );
  const costs = await measureCodecCosts();
  console.log(codecCostTable(costs));
  return costs;
}
