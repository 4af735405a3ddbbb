// The wrappers' own cost per record, without a broker: the same batches (messages shaped as
// kafkajs decodes them) handed alternately to the plain per-message loop and to a wrapper, many
// times. No network, no decoding: what is left is the wrapper's CPU, measurable to a few ns —
// the consume-loop bench shows what that becomes among kafkajs's own work, this one where it goes.
// `node --expose-gc bench/dist/wrapper-cost.js [variant…]`
import { randomUUID } from 'node:crypto';
import { Deduplicator, dedupBatch } from '@mirrorkit/active-active';
import type { EachBatchPayload, EachMessagePayload, KafkaMessage } from 'kafkajs';
import { fmt, table } from './measure.js';

const BATCH = 300;
const BATCHES = 100;
const ROUNDS = Number(process.env.COST_ROUNDS ?? 30);

type BatchHandler = (payload: EachBatchPayload) => Promise<void>;

/** BATCHES batches of BATCH messages with fresh region keys, laid out as kafkajs hands them over. */
function makeBatches(round: number): KafkaMessage[][] {
  const batches: KafkaMessage[][] = [];
  let offset = round * BATCH * BATCHES;
  for (let b = 0; b < BATCHES; b++) {
    // kafkajs slices keys and values out of one response buffer.
    const parts: Buffer[] = [];
    const spans: [number, number, number, number][] = [];
    let at = 0;
    for (let i = 0; i < BATCH; i++) {
      const key = Buffer.from(`us-east:${randomUUID()}`);
      const value = Buffer.from(JSON.stringify({ account: `acct-${i % 5000}`, amount: i }));
      spans.push([at, at + key.length, at + key.length, at + key.length + value.length]);
      parts.push(key, value);
      at += key.length + value.length;
    }
    const response = Buffer.concat(parts);
    const batchContext = { firstOffset: String(offset), magicByte: 2 };
    batches.push(
      spans.map(([k0, k1, v0, v1]) => ({
        magicByte: 2,
        attributes: 0,
        timestamp: '1700000000000',
        offset: String(offset++),
        key: response.subarray(k0, k1),
        value: response.subarray(v0, v1),
        headers: {},
        isControlRecord: false,
        batchContext,
      })) as unknown as KafkaMessage[],
    );
  }
  return batches;
}

function payloadFor(messages: KafkaMessage[]): EachBatchPayload {
  let resolved = '';
  return {
    batch: { topic: 'orders', partition: 0, messages },
    resolveOffset: (o: string) => {
      resolved = o;
    },
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    isRunning: () => resolved !== 'never',
    isStale: () => false,
    pause: () => () => undefined,
  } as unknown as EachBatchPayload;
}

const work = () => {
  const state = new Map<string, number>();
  return async (p: EachMessagePayload): Promise<void> => {
    const body = JSON.parse(p.message.value?.toString() ?? '{}') as { account: string; amount: number };
    state.set(body.account, body.amount);
  };
};

function plainLoop(handler: (p: EachMessagePayload) => Promise<void>): BatchHandler {
  return async (payload) => {
    const { batch, heartbeat, pause } = payload;
    const { messages } = batch;
    for (let i = 0; i < messages.length; i++) {
      if (!payload.isRunning() || payload.isStale()) break;
      const message = messages[i] as KafkaMessage;
      await handler({ topic: batch.topic, partition: batch.partition, message, heartbeat, pause });
      payload.resolveOffset(message.offset);
      await heartbeat();
      await payload.commitOffsetsIfNecessary();
    }
  };
}

function steady(keys: number): Deduplicator {
  const d = new Deduplicator({ maxKeys: keys });
  for (let i = 0; i < 2 * keys; i++) d.add(`us-west:filler-${i}`);
  return d;
}

const VARIANTS: Record<string, () => BatchHandler> = {
  'plain, same again': () => plainLoop(work()),
  'dedupBatch(), 1,000 keys': () => dedupBatch(work(), { deduplicator: new Deduplicator({ maxKeys: 1000 }) }),
  'dedupBatch(), 1M keys': () => dedupBatch(work(), { deduplicator: steady(1_000_000) }),
};

const chosen = process.argv.slice(2);
const rows: string[][] = [
  ['wrapper (vs plain loop, same batches)', 'plain ns/rec', 'wrapper ns/rec', 'diff ns (rounds)'],
];
for (const [name, make] of Object.entries(VARIANTS)) {
  if (chosen.length > 0 && !chosen.some((c) => name.startsWith(c))) continue;
  const wrapped = make();
  const plain = plainLoop(work());
  const diffs: number[] = [];
  const plains: number[] = [];
  const wraps: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batches = makeBatches(round);
    const payloads = batches.map(payloadFor);
    (globalThis as { gc?: () => void }).gc?.();
    let tPlain = 0;
    let tWrap = 0;
    for (const p of payloads) {
      // Each batch twice, once per side, in random order: the second pass finds it in the caches.
      const wrapFirst = Math.random() < 0.5;
      for (const side of wrapFirst ? [true, false] : [false, true]) {
        const before = performance.now();
        await (side ? wrapped : plain)(p);
        const ns = (performance.now() - before) * 1e6;
        if (side) tWrap += ns;
        else tPlain += ns;
      }
    }
    if (round < 3) continue; // warm-up
    const n = BATCH * BATCHES;
    plains.push(tPlain / n);
    wraps.push(tWrap / n);
    diffs.push((tWrap - tPlain) / n);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const sorted = [...diffs].sort((a, b) => a - b);
  rows.push([
    name,
    fmt(med(plains)),
    fmt(med(wraps)),
    `${fmt(med(diffs))} (${fmt(sorted[Math.floor(sorted.length / 10)] as number)}…${fmt(sorted[Math.floor((sorted.length * 9) / 10)] as number)})`,
  ]);
}
console.log(table(rows));
