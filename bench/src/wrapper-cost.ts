// The wrappers' own cost per record, without a broker: the same batches (messages shaped as
// kafkajs decodes them, region keys, HLC stamp headers) handed to the plain per-message loop and
// to a wrapper, each batch to both in random order. No network, no decoding: what is left is the
// wrappers' CPU, to a few ns — the consume-loop bench shows what that becomes among kafkajs's own
// work (about 8 µs a record), this one where it goes. Each variant runs in a process of its own
// (in one process, handlers sharing call sites turn them polymorphic and slow whichever runs later).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  Deduplicator,
  dedup,
  dedupBatch,
  HLC_HEADER,
  HybridLogicalClock,
  type LwwEntry,
  lww,
} from '@mirrorkit/active-active';
import type { EachBatchPayload, EachMessagePayload, KafkaMessage } from 'kafkajs';
import { eachBatchLoop, parse, plainWork, steadyDeduplicator } from './consume-loop.js';
import { fmt } from './measure.js';

const BATCH = 300;
const BATCHES = 100;

type BatchHandler = (payload: EachBatchPayload) => Promise<void>;
type Handler = (p: EachMessagePayload) => Promise<void>;

/** BATCHES batches of BATCH messages with fresh region keys, laid out as kafkajs hands them over. */
function makeBatches(round: number): KafkaMessage[][] {
  const batches: KafkaMessage[][] = [];
  let offset = round * BATCH * BATCHES;
  for (let b = 0; b < BATCHES; b++) {
    // kafkajs slices keys, values and header values out of one fetch response.
    const parts: Buffer[] = [];
    const spans: number[] = [];
    let at = 0;
    for (let i = 0; i < BATCH; i++) {
      const fields = [
        Buffer.from(`us-east:${randomUUID()}`),
        Buffer.from(JSON.stringify({ account: `acct-${i % 1000}`, amount: i })),
        Buffer.from(`${1_700_000_000_000 + offset + i}.0@us-east`),
      ];
      for (const field of fields) {
        spans.push(at, at + field.length);
        parts.push(field);
        at += field.length;
      }
    }
    const response = Buffer.concat(parts);
    const batchContext = { firstOffset: String(offset), magicByte: 2 };
    const slice = (n: number) => response.subarray(spans[n] as number, spans[n + 1] as number);
    batches.push(
      Array.from(
        { length: BATCH },
        (_, i) =>
          ({
            magicByte: 2,
            attributes: 0,
            timestamp: String(1_700_000_000_000 + offset + i),
            offset: String(offset + i),
            key: slice(i * 6),
            value: slice(i * 6 + 2),
            headers: { [HLC_HEADER]: slice(i * 6 + 4) },
            isControlRecord: false,
            batchContext,
          }) as unknown as KafkaMessage,
      ),
    );
    offset += BATCH;
  }
  return batches;
}

function payloadFor(messages: KafkaMessage[]): EachBatchPayload {
  let resolved = '';
  return {
    batch: { topic: 'orders', partition: 0, messages },
    resolveOffset: (offset: string) => {
      resolved = offset;
    },
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    isRunning: () => resolved !== 'never',
    isStale: () => false,
    pause: () => () => undefined,
  } as unknown as EachBatchPayload;
}

function lwwWork(): Handler {
  const state = new Map<string, LwwEntry<number>>();
  return lww<EachMessagePayload, number>({
    clock: new HybridLogicalClock({ region: 'us-west' }),
    store: { get: (k) => state.get(k), put: (k, e) => void state.set(k, e) },
    writeOf: (p) => {
      const body = parse(p);
      return { key: body.account, value: body.amount };
    },
  });
}

// The same application work in every variant (parse the record, update a map), in kafkajs's own
// per-message loop (eachBatchLoop), exactly as the consume-loop bench runs them.
const work = (): Handler => plainWork(() => undefined);

const VARIANTS: Record<string, () => BatchHandler> = {
  'plain loop against itself': () => eachBatchLoop(work()),
  'dedupBatch(), 1,000 keys': () => dedupBatch(work(), { deduplicator: new Deduplicator({ maxKeys: 1000 }) }),
  'dedupBatch(), 1M keys': () => dedupBatch(work(), { deduplicator: steadyDeduplicator() }),
  'dedup(), 1M keys': () => eachBatchLoop(dedup(work(), { deduplicator: steadyDeduplicator() })),
  'lww()': () => eachBatchLoop(lwwWork()),
};

/** One variant, in this process: the median over rounds of (wrapper − plain) ns per record. */
async function measureVariant(name: string, rounds: number): Promise<{ plain: number; diff: number }> {
  const make = VARIANTS[name];
  if (!make) throw new Error(`unknown variant ${name}`);
  const wrapped = make();
  const plain = eachBatchLoop(work());
  const diffs: number[] = [];
  const plains: number[] = [];
  for (let round = 0; round < rounds + 3; round++) {
    const payloads = makeBatches(round).map(payloadFor);
    (globalThis as { gc?: () => void }).gc?.();
    let tPlain = 0;
    let tWrapped = 0;
    for (const p of payloads) {
      // Each batch to both, in random order: the second finds it in the caches.
      const wrappedFirst = Math.random() < 0.5;
      for (const isWrapped of wrappedFirst ? [true, false] : [false, true]) {
        const before = performance.now();
        await (isWrapped ? wrapped : plain)(p);
        const ns = (performance.now() - before) * 1e6;
        if (isWrapped) tWrapped += ns;
        else tPlain += ns;
      }
    }
    if (round < 3) continue; // warm-up
    plains.push(tPlain / (BATCH * BATCHES));
    diffs.push((tWrapped - tPlain) / (BATCH * BATCHES));
  }
  return { plain: median(plains), diff: median(diffs) };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** Rows for the bench's table: per variant, the median over processes and the range. */
export function wrapperCostFigures(processes: number, rounds: number): string[][] {
  const rows = [
    [
      `without a broker (${processes} processes × ${rounds} rounds × ${BATCH * BATCHES} records)`,
      'plain loop ns/record',
      'wrapper adds (median)',
      'per process',
    ],
  ];
  const results = new Map<string, { plain: number; diff: number }[]>();
  for (let run = 0; run < processes; run++)
    for (const name of Object.keys(VARIANTS)) {
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--min-semi-space-size=16', fileURLToPath(import.meta.url)],
        {
          encoding: 'utf8',
          env: { ...process.env, COST_VARIANT: name, COST_ROUNDS: String(rounds) },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      results.set(name, [...(results.get(name) ?? []), JSON.parse(out.trim().split('\n').at(-1) ?? '{}')]);
    }
  for (const [name, runs] of results) {
    const diffs = runs.map((r) => r.diff).sort((a, b) => a - b);
    rows.push([
      name,
      fmt(median(runs.map((r) => r.plain))),
      `+${fmt(median(diffs))} ns`,
      `${fmt(diffs[0] as number)} … ${fmt(diffs.at(-1) as number)}`,
    ]);
  }
  return rows;
}

if (process.env.COST_VARIANT) {
  console.log(
    JSON.stringify(await measureVariant(process.env.COST_VARIANT, Number(process.env.COST_ROUNDS ?? 20))),
  );
  process.exit(0);
}
