import type { EventEmitter } from 'eventemitter3';
import type { Batch, EachBatchPayload, EachMessagePayload, KafkaMessage } from 'kafkajs';
import {
  type DedupEvents,
  type DedupHandlerStats,
  type DedupOptions,
  withCoPartitioning,
} from './dedup-handler.js';
import { readDedupKey, readRecordKey } from './dedup-key.js';
import { DedupState } from './dedup-state.js';
import { fingerprintAccess } from './deduplicator.js';
import type { Fingerprint } from './key-fingerprint.js';

/** The part of kafkajs's `eachBatch` payload {@link dedupBatch} uses. */
export interface BatchPayload
  extends Pick<
    EachBatchPayload,
    'resolveOffset' | 'heartbeat' | 'pause' | 'commitOffsetsIfNecessary' | 'isRunning' | 'isStale'
  > {
  readonly batch: Pick<Batch, 'topic' | 'partition' | 'messages'>;
  /** The alias of the cluster the batch was read from (MirrorKit's consumer sets it). */
  readonly cluster?: string;
}

/** A deduplicating `eachBatch` handler with its counters, events and the run settings it needs. */
export interface DedupBatchHandler {
  (payload: BatchPayload): Promise<void>;
  readonly events: EventEmitter<DedupEvents>;
  stats(): DedupHandlerStats;
  /**
   * What to spread into `consumer.run`: this handler as `eachBatch`, and `eachBatchAutoResolve`
   * off — the handler resolves each offset it has handled, and may stop before the batch's end.
   */
  readonly runConfig: {
    readonly eachBatch: (payload: EachBatchPayload) => Promise<void>;
    readonly eachBatchAutoResolve: false;
  };
}

/**
 * {@link dedup} for a consumer run with `eachBatch`: takes the same per-message handler and
 * options, and hands each message to it as kafkajs's own `eachMessage` loop would (in order, one
 * at a time; offset resolved, heartbeat and commit-if-due after each; stops when the consumer
 * stops, the partition is sought, or the handler pauses it), skipping duplicates exactly as
 * `dedup()` does, with the same counters and events.
 *
 * What it adds: it reads the keys of the next messages ahead of handling them and brings the
 * {@link Deduplicator}'s table lines for them into the CPU caches together, so a large seen-set's
 * memory reads overlap across a batch instead of costing one at a time when each message's turn
 * comes (at 1M keys the tables outgrow the caches, and lone lookups were most of what dedup cost).
 *
 * Run it with `eachBatchAutoResolve: false` (spread {@link DedupBatchHandler.runConfig}): kafkajs
 * otherwise resolves a whole batch even when the handler stopped early, and the messages not yet
 * handled would not be redelivered. A `consumer.pause()` from elsewhere takes effect at the next
 * batch, as with any `eachBatch` handler; a pause through the message payload stops after that
 * message. If the handler throws, the messages before it stay resolved (kafkajs commits them), as
 * in its own `eachMessage` loop.
 *
 * A store write that fails is retried as in `dedup()` (the message is not resolved until its key
 * is written), until the consumer stops (`isRunning()` false, or the `signal`): the batch then
 * fails at that message.
 *
 * @example
 * ```ts
 * const seen = new Deduplicator({ maxKeys: 1_000_000 });
 * const deduped = dedupBatch(async ({ message }) => handle(message), { deduplicator: seen });
 * await consumer.run({ ...deduped.runConfig, partitionsConsumedConcurrently: 3 });
 * ```
 */
export function dedupBatch(
  handler: (payload: EachMessagePayload) => Promise<void>,
  options: DedupOptions<EachMessagePayload>,
): DedupBatchHandler {
  const state = new DedupState(handler, options);
  const { inFlight } = state;
  // One cursor per batch being handled (several with partitionsConsumedConcurrently), reused.
  const spare: BatchCursor[] = [];

  // Everything a batch needs across its awaits lives in its cursor, not in this function's locals:
  // an async function saves and restores its whole register file at every await (three a
  // record); in a replay without a broker, a loop keeping such state in locals cost up to
  // ~0.1 µs a record more.
  const eachBatch = async (payload: BatchPayload): Promise<void> => {
    if (state.prepares) {
      // The store's keys for the batch's cluster must be in the seen-set before any lookup.
      const readying = state.ready(payload.cluster);
      if (readying !== undefined) await readying;
    }
    if (state.preparesPartitions) {
      // A newly owned partition's keys are restored before any record of it is looked up.
      const readying = state.readyPartition(payload.cluster, payload.batch.partition);
      if (readying !== undefined) await readying;
    }
    const cursor = spare.pop() ?? new BatchCursor(state, options.keyOf);
    cursor.start(payload);
    try {
      for (let i = 0; i < cursor.count; i++) {
        if (!payload.isRunning() || payload.isStale()) break;
        const p = cursor.turn(i);
        let step = cursor.step;
        if (step === WAIT) {
          await inFlight.waitFor(cursor.hi, cursor.lo);
          step = cursor.seen(p);
        }
        if (step === HANDLE) {
          // What DedupState.process does, inline: one promise per record fewer.
          const mine = inFlight.enter(cursor.hi, cursor.lo);
          try {
            await handler(p);
            const persisting = state.handled(
              p,
              cursor.hi,
              cursor.lo,
              cursor.key,
              cursor.cluster,
              cursor.stopped,
            );
            if (persisting !== undefined) await persisting;
          } finally {
            inFlight.leave(mine);
          }
        } else if (step === PERSIST) {
          await state.persistAgain(p, cursor.hi, cursor.lo, cursor.cluster, cursor.stopped);
        } else if (step === INVALID) {
          const passing = state.invalid(p);
          if (passing !== undefined) await passing;
        }
        payload.resolveOffset(p.message.offset);
        await payload.heartbeat();
        await payload.commitOffsetsIfNecessary();
        if (cursor.paused) break;
      }
    } finally {
      cursor.finish();
      spare.push(cursor);
    }
  };
  withCoPartitioning(eachBatch, options);
  const runConfig = {
    eachBatch,
    eachBatchAutoResolve: false as const,
  };
  return Object.assign(eachBatch, { events: state.events, stats: () => state.stats(), runConfig });
}

const LOOKAHEAD = 64;
const WINDOW = 2 * LOOKAHEAD;
// What a message's turn calls for.
const HANDLE = 0;
const SKIP = 1;
const INVALID = 2;
const WAIT = 3;
// Handled already, but its store write is outstanding: write it, without the handler.
const PERSIST = 4;
type Step = typeof HANDLE | typeof SKIP | typeof INVALID | typeof WAIT | typeof PERSIST;

/**
 * One batch's messages as {@link dedupBatch} goes through them: the keys read ahead, their
 * fingerprints, and the message whose turn it is.
 */
class BatchCursor {
  readonly #state: DedupState<EachMessagePayload>;
  readonly #keyOf: ((payload: EachMessagePayload) => string | null) | undefined;
  // The messages read ahead, in a ring of WINDOW slots: their keys (as readDedupKey returns them)
  // and fingerprints, and with a keyOf the payload it was given. Nothing outlives its message's
  // turn, so a batch of thousands keeps no more alive than kafkajs's own loop does.
  readonly #keys: (string | null | false)[] = new Array(WINDOW);
  readonly #fps = new Uint32Array(WINDOW * 2);
  readonly #keyed: (EachMessagePayload | undefined)[] | undefined;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  #payload: BatchPayload | undefined;
  #messages: KafkaMessage[] = [];
  #topic = '';
  #partition = 0;
  #heartbeat: (() => Promise<void>) | undefined;
  #read = 0;
  // A keyOf that throws fails its own message, not the ones before it.
  #failedAt = -1;
  #failure: unknown;
  count = 0;
  paused = false;
  /** The batch's cluster alias, when its payload names one. */
  cluster: string | undefined = undefined;
  /** Whether the consumer stopped: ends the retries of a failing store write. */
  readonly stopped = (): boolean => this.#payload?.isRunning() !== true;
  /**
   * What the current message's turn calls for, its key text (or null) and fingerprint. (The
   * message's payload is returned, not kept here: storing each new payload into this long-lived
   * object would cost a write barrier's slow path per record.)
   */
  step: Step = HANDLE;
  key: string | null = null;
  hi = 0;
  lo = 0;
  readonly #pause = (): (() => void) => {
    this.paused = true;
    return (this.#payload as BatchPayload).pause();
  };

  constructor(
    state: DedupState<EachMessagePayload>,
    keyOf: ((payload: EachMessagePayload) => string | null) | undefined,
  ) {
    this.#state = state;
    this.#keyOf = keyOf;
    this.#keyed = keyOf ? new Array(WINDOW) : undefined;
  }

  start(payload: BatchPayload): void {
    const { topic, partition, messages } = payload.batch;
    this.#payload = payload;
    this.#messages = messages;
    this.#topic = topic;
    this.#partition = partition;
    this.#heartbeat = payload.heartbeat;
    this.count = messages.length;
    this.paused = false;
    this.cluster = payload.cluster;
    this.#read = 0;
    this.#failedAt = -1;
    this.#failure = undefined;
  }

  /** Message `i`'s turn (in order from 0): its payload; {@link step} says what it calls for. */
  turn(i: number): EachMessagePayload {
    // Keys are read and their table lines loaded LOOKAHEAD at a time, LOOKAHEAD to 2·LOOKAHEAD
    // messages before they are handled: enough loads at once for their cache misses to overlap,
    // soon enough before their turn for the lines to still be in the caches.
    if (i % LOOKAHEAD === 0) this.#readAhead(i + 2 * LOOKAHEAD);
    if (i === this.#failedAt) throw this.#failure;
    const slot = i & (WINDOW - 1);
    const keyed = this.#keyed;
    let p: EachMessagePayload;
    if (keyed) {
      p = keyed[slot] as EachMessagePayload;
      keyed[slot] = undefined;
    } else p = this.#payloadOf(i);
    const key = this.#keys[slot] as string | null | false;
    if (key === false) {
      this.step = INVALID;
      return p;
    }
    this.key = key;
    this.hi = this.#fps[slot * 2] as number;
    this.lo = this.#fps[slot * 2 + 1] as number;
    this.step = this.#state.inFlight.find(this.hi, this.lo) !== undefined ? WAIT : this.seen(p);
    return p;
  }

  /** Whether the current message's key (payload `p`) was processed (no copy of it in flight now). */
  seen(p: EachMessagePayload): Step {
    const state = this.#state;
    if (state.unpersisted(this.hi, this.lo)) return PERSIST;
    return state.seen(p, this.hi, this.lo, this.key) ? SKIP : HANDLE;
  }

  /** Drops every reference to the batch, so a spare cursor keeps no message alive. */
  finish(): void {
    this.#keys.fill(undefined as unknown as false);
    this.#keyed?.fill(undefined);
    this.#payload = undefined;
    this.#messages = [];
    this.#heartbeat = undefined;
    this.key = null;
    this.cluster = undefined;
  }

  #payloadOf(i: number): EachMessagePayload {
    return {
      topic: this.#topic,
      partition: this.#partition,
      message: this.#messages[i] as KafkaMessage,
      heartbeat: this.#heartbeat as () => Promise<void>,
      pause: this.#pause,
    };
  }

  #readAhead(upTo: number): void {
    const from = this.#read;
    const to = Math.min(upTo, this.count);
    const keys = this.#keys;
    const fps = this.#fps;
    const fp = this.#fp;
    const keyed = this.#keyed;
    const messages = this.#messages;
    for (let i = from; i < to && this.#failedAt < 0; i++) {
      const slot = i & (WINDOW - 1);
      try {
        let key: string | null | false;
        if (keyed) {
          // A keyOf is given the payload its message's turn will hand to the handler.
          const p = this.#payloadOf(i);
          keyed[slot] = p;
          key = readDedupKey(p, this.#keyOf, fp);
        } else key = readRecordKey((messages[i] as KafkaMessage).key, fp);
        keys[slot] = key;
        if (key !== false) {
          fps[slot * 2] = fp.hi;
          fps[slot * 2 + 1] = fp.lo;
        }
      } catch (error) {
        this.#failedAt = i;
        this.#failure = error;
      }
      this.#read = i + 1;
    }
    const deduplicator = this.#state.deduplicator;
    const fromSlot = from & (WINDOW - 1);
    const toSlot = fromSlot + (this.#read - from);
    fingerprintAccess.prefetch(deduplicator, fps, fromSlot, Math.min(toSlot, WINDOW));
    if (toSlot > WINDOW) fingerprintAccess.prefetch(deduplicator, fps, 0, toSlot - WINDOW);
  }
}
