// One measured kafkajs consume loop, in a process of its own (started by active-active.ts): a
// fresh process per run, so that no run's JIT feedback, heap or caches carry over into another's
// (in one process, every variant's handler passing through the same call sites made them
// polymorphic and slowed whichever ran later). Reads its settings from the environment, prints
// one JSON line with what it measured.
import {
  Deduplicator,
  dedup,
  dedupBatch,
  HybridLogicalClock,
  type LwwEntry,
  lww,
} from '@mirrorkit/active-active';
import { type EachBatchPayload, type EachMessagePayload, Kafka, type KafkaMessage, logLevel } from 'kafkajs';

/** What a run measured: whole-process CPU per record, and in paired runs each pair's difference. */
export interface LoopResult {
  readonly cpuUs: number;
  readonly perSecond: number;
  /** Paired runs: per pair of neighbouring batches, the variant's µs/record less the plain loop's. */
  readonly diffs: number[];
}

/** The handlers a run can measure, by name. */
export const LOOP_VARIANTS = [
  'plain eachMessage',
  'plain eachBatch',
  'plain eachBatch, same again',
  'plain eachBatch reading keys ahead',
  'dedup(), 1M keys',
  'dedup(lww()), 1M keys',
  'dedupBatch(), 1M keys',
  'dedupBatch(), 1,000 keys',
  'dedupBatch(lww()), 1M keys',
  'lww()',
] as const;
export type LoopVariant = (typeof LOOP_VARIANTS)[number];

const KEYS = 1_000_000;

type BatchHandler = (payload: EachBatchPayload) => Promise<void>;
type Run = { eachMessage: (p: EachMessagePayload) => Promise<void> } | { eachBatch: BatchHandler };

/** A Deduplicator holding 2M keys, both generations full: the steady state of a long-running consumer. */
export function steadyDeduplicator(): Deduplicator {
  const d = new Deduplicator({ maxKeys: KEYS });
  for (let i = 0; i < 2 * KEYS; i++) d.add(`us-west:filler-${i}`);
  return d;
}

export const parse = (p: EachMessagePayload) =>
  JSON.parse(p.message.value?.toString() ?? '{}') as { account: string; amount: number };

// Every variant does the same application work (parse the record, update a map), so the difference
// is what the wrappers add.
export function plainWork(done: () => void): (p: EachMessagePayload) => Promise<void> {
  const state = new Map<string, number>();
  return async (p) => {
    const body = parse(p);
    state.set(body.account, body.amount);
    done();
  };
}

function lwwWork(done: () => void): (p: EachMessagePayload) => Promise<void> {
  const state = new Map<string, LwwEntry<number>>();
  const apply = lww<EachMessagePayload, number>({
    clock: new HybridLogicalClock({ region: 'us-west' }),
    store: { get: (k) => state.get(k), put: (k, e) => void state.set(k, e) },
    writeOf: (p) => {
      const body = parse(p);
      return { key: body.account, value: body.amount };
    },
  });
  return async (p) => {
    await apply(p);
    done();
  };
}

let sink = 0;
/**
 * The per-message loop an `eachBatch` user writes, as kafkajs's own eachMessage loop runs it. With
 * `readAhead`, it reads the keys of messages 64 to 128 ahead every 64 messages, as dedupBatch()
 * does (without looking them up): reading a message early brings it into the CPU caches.
 */
export function eachBatchLoop(
  handler: (p: EachMessagePayload) => Promise<void>,
  readAhead = false,
): BatchHandler {
  return async (payload) => {
    const { batch, heartbeat, pause } = payload;
    const { messages } = batch;
    for (let i = 0; i < messages.length; i++) {
      if (!payload.isRunning() || payload.isStale()) break;
      if (readAhead && i % 64 === 0)
        for (let j = i === 0 ? 0 : i + 64; j < Math.min(i + 128, messages.length); j++)
          sink ^= messages[j]?.key?.length ?? 0;
      const message = messages[i] as KafkaMessage;
      await handler({ topic: batch.topic, partition: batch.partition, message, heartbeat, pause });
      payload.resolveOffset(message.offset);
      await heartbeat();
      await payload.commitOffsetsIfNecessary();
    }
  };
}

function variantRun(variant: LoopVariant, done: () => void): Run {
  switch (variant) {
    case 'plain eachMessage':
      return { eachMessage: plainWork(done) };
    case 'plain eachBatch':
    case 'plain eachBatch, same again':
      return { eachBatch: eachBatchLoop(plainWork(done)) };
    case 'plain eachBatch reading keys ahead':
      return { eachBatch: eachBatchLoop(plainWork(done), true) };
    case 'dedup(), 1M keys':
      return { eachMessage: dedup(plainWork(done), { deduplicator: steadyDeduplicator() }) };
    case 'dedup(lww()), 1M keys':
      return { eachMessage: dedup(lwwWork(done), { deduplicator: steadyDeduplicator() }) };
    case 'dedupBatch(), 1M keys':
      return { eachBatch: dedupBatch(plainWork(done), { deduplicator: steadyDeduplicator() }) };
    case 'dedupBatch(), 1,000 keys':
      return {
        eachBatch: dedupBatch(plainWork(done), { deduplicator: new Deduplicator({ maxKeys: 1000 }) }),
      };
    case 'dedupBatch(lww()), 1M keys':
      return { eachBatch: dedupBatch(lwwWork(done), { deduplicator: steadyDeduplicator() }) };
    case 'lww()':
      return { eachMessage: lwwWork(done) };
  }
}

/** As an eachBatch handler (an eachMessage handler in kafkajs's own per-message loop). */
function asBatch(run: Run): BatchHandler {
  return 'eachBatch' in run ? run.eachBatch : eachBatchLoop(run.eachMessage);
}

/**
 * Consumes `records` records of `topic` once. Alone: with the variant's handler only. Paired: its
 * batches go in pairs, one to the plain eachBatch loop and one to the variant, each timed, and each
 * pair gives the variant's difference: neighbouring batches share the broker, the heap, the caches
 * and the moment, where this process's speed changes in phases several batches long (a concurrent
 * collection competing for its CPU roughly doubles the time per record).
 */
async function consume(options: {
  brokers: string[];
  topic: string;
  records: number;
  variant: LoopVariant;
  paired: boolean;
  group: string;
}): Promise<LoopResult> {
  const kafka = new Kafka({ brokers: options.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: options.group,
    maxWaitTimeInMs: 100,
    // Paired runs: batches of at most 64 KB a partition (kafkajs's default is 1 MB), about 180
    // per run instead of 30, for enough pairs.
    ...(options.paired ? { maxBytesPerPartition: 64 * 1024 } : {}),
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolveDone) => {
    finish = resolveDone;
  });
  let seen = 0;
  const done = () => {
    if (++seen === options.records) finish();
  };
  const variant = variantRun(options.variant, done);
  // Per batch: whether the variant handled it, and its µs/record.
  const timed: [boolean, number][] = [];
  let run: Run = variant;
  if (options.paired) {
    const plain = eachBatchLoop(plainWork(done));
    const wrapped = asBatch(variant);
    let variantFirst = false;
    run = {
      eachBatch: async (payload) => {
        if (payload.batch.messages.length === 0) return;
        // Which of a pair goes first is drawn at random: batches at even and odd places differ
        // by themselves (the plain loop against itself read 1 µs/record apart when the variant
        // always went second), and a coin per pair turns that into noise around zero.
        if (timed.length % 2 === 0) variantFirst = Math.random() < 0.5;
        const isVariant = variantFirst === (timed.length % 2 === 0);
        // Wall time: this process has its own CPU (pinned apart from the broker), and the kernel's
        // CPU-time accounting is too coarse (ticks) for one batch.
        const before = performance.now();
        await (isVariant ? wrapped : plain)(payload);
        const us = (performance.now() - before) * 1000;
        timed.push([isVariant, us / payload.batch.messages.length]);
      },
    };
  }
  // No run inherits the set-up's garbage (filling a Deduplicator makes 2M strings).
  (globalThis as { gc?: () => void }).gc?.();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await consumer.run('eachBatch' in run ? { eachBatch: run.eachBatch, eachBatchAutoResolve: false } : run);
  // A variant that skipped records it should have handled would wait forever: fail instead.
  let stall: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    stall = setTimeout(
      () => reject(new Error(`only ${seen} of ${options.records} records handled after 180 s`)),
      180_000,
    );
  });
  await Promise.race([finished, stalled]).finally(() => clearTimeout(stall));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await consumer.disconnect();
  // Keeps the keys read ahead in use (an optimiser may drop loads whose result nothing reads).
  if (sink === 0.5) console.error(sink);
  const diffs: number[] = [];
  for (let i = 0; i + 1 < timed.length; i += 2) {
    const [firstIsVariant, first] = timed[i] as [boolean, number];
    const second = (timed[i + 1] as [boolean, number])[1];
    diffs.push(firstIsVariant ? first - second : second - first);
  }
  return {
    cpuUs: (cpu.user + cpu.system) / options.records,
    perSecond: (options.records / ms) * 1000,
    diffs,
  };
}

const env = process.env;
if (env.LOOP_VARIANT) {
  const variant = env.LOOP_VARIANT as LoopVariant;
  if (!LOOP_VARIANTS.includes(variant)) throw new Error(`unknown LOOP_VARIANT ${variant}`);
  const result = await consume({
    brokers: (env.LOOP_BROKERS ?? '').split(','),
    topic: env.LOOP_TOPIC ?? 'accounts',
    records: Number(env.LOOP_RECORDS),
    variant,
    paired: env.LOOP_PAIRED === '1',
    group: env.LOOP_GROUP ?? `bench-${variant}`,
  });
  console.log(JSON.stringify(result));
  process.exit(0);
}
