import type { EventEmitter } from 'eventemitter3';
import type { Batch, EachBatchPayload, EachMessagePayload, KafkaMessage } from 'kafkajs';
import type { DedupEvents, DedupHandlerStats, DedupOptions } from './dedup-handler.js';
import { readDedupKey } from './dedup-key.js';
import { DedupState } from './dedup-state.js';
import { fingerprintAccess, isRemembered } from './deduplicator.js';
import type { Fingerprint } from './key-fingerprint.js';

/** The part of kafkajs's `eachBatch` payload {@link dedupBatch} uses. */
export interface BatchPayload
  extends Pick<
    EachBatchPayload,
    'resolveOffset' | 'heartbeat' | 'pause' | 'commitOffsetsIfNecessary' | 'isRunning' | 'isStale'
  > {
  readonly batch: Pick<Batch, 'topic' | 'partition' | 'messages'>;
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
 * What it adds: it reads the keys of the next messages ahead of handling them and looks them up
 * in the {@link Deduplicator} together, so a large seen-set's memory reads overlap across a batch
 * instead of costing one at a time (at 1M keys the tables outgrow the CPU caches, and single
 * lookups were most of what dedup cost); a message's turn then uses that answer unless the
 * seen-set changed in a way that could affect it.
 *
 * Run it with `eachBatchAutoResolve: false` (spread {@link DedupBatchHandler.runConfig}): kafkajs
 * otherwise resolves a whole batch even when the handler stopped early, and the messages not yet
 * handled would not be redelivered. A `consumer.pause()` from elsewhere takes effect at the next
 * batch, as with any `eachBatch` handler; a pause through the message payload stops after that
 * message. If the handler throws, the messages before it stay resolved (kafkajs commits them), as
 * in its own `eachMessage` loop.
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
  const { deduplicator, keyOf } = options;
  const { inFlight } = state;
  const fp: Fingerprint = { hi: 0, lo: 0 };

  const eachBatch = async (payload: BatchPayload): Promise<void> => {
    const { batch, heartbeat, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { topic, partition, messages } = batch;
    const count = messages.length;
    let paused = false;
    const pause = (): (() => void) => {
      paused = true;
      return payload.pause();
    };
    // The messages read ahead, in a ring of 2·LOOKAHEAD slots: their keys (as readDedupKey returns
    // them) and fingerprints, and with a keyOf the payload it was given. Nothing outlives its
    // message's turn, so a batch of thousands keeps no more alive than kafkajs's own loop does.
    const keys: (string | null | false)[] = new Array(WINDOW);
    const fps = new Uint32Array(WINDOW * 2);
    const answers = new Float64Array(WINDOW);
    const keyed: (EachMessagePayload | undefined)[] | undefined = keyOf ? new Array(WINDOW) : undefined;
    // Without a keyOf only the message's key is read: one reused payload serves every message.
    const scratch: EachMessagePayload = {
      topic,
      partition,
      message: messages[0] as KafkaMessage,
      heartbeat,
      pause,
    };
    let read = 0;
    // A keyOf that throws fails its own message, not the ones before it.
    let failedAt = -1;
    let failure: unknown;
    const readAhead = (upTo: number): void => {
      const from = read;
      const to = Math.min(upTo, count);
      for (let i = from; i < to && failedAt < 0; i++) {
        const slot = i & (WINDOW - 1);
        let p = scratch;
        if (keyed) {
          p = { topic, partition, message: messages[i] as KafkaMessage, heartbeat, pause };
          keyed[slot] = p;
        } else scratch.message = messages[i] as KafkaMessage;
        try {
          const key = readDedupKey(p, keyOf, fp);
          keys[slot] = key;
          if (key !== false) {
            fps[slot * 2] = fp.hi;
            fps[slot * 2 + 1] = fp.lo;
          }
        } catch (error) {
          failedAt = i;
          failure = error;
        }
        read = i + 1;
      }
      const fromSlot = from & (WINDOW - 1);
      const toSlot = fromSlot + (read - from);
      fingerprintAccess.resolve(deduplicator, fps, fromSlot, Math.min(toSlot, WINDOW), answers);
      if (toSlot > WINDOW) fingerprintAccess.resolve(deduplicator, fps, 0, toSlot - WINDOW, answers);
    };

    for (let i = 0; i < count; i++) {
      if (!isRunning() || isStale()) break;
      // Keys are read and looked up LOOKAHEAD at a time, LOOKAHEAD to 2·LOOKAHEAD messages before
      // they are handled: enough lookups at once for their cache misses to overlap.
      if (i % LOOKAHEAD === 0) readAhead(i + 2 * LOOKAHEAD);
      if (i === failedAt) throw failure;
      const slot = i & (WINDOW - 1);
      const p: EachMessagePayload = keyed
        ? (keyed[slot] as EachMessagePayload)
        : { topic, partition, message: messages[i] as KafkaMessage, heartbeat, pause };
      if (keyed) keyed[slot] = undefined;
      const key = keys[slot] as string | null | false;
      if (key === false) {
        const passing = state.invalid(p);
        if (passing !== undefined) await passing;
      } else {
        const hi = fps[slot * 2] as number;
        const lo = fps[slot * 2 + 1] as number;
        if (inFlight.find(hi, lo) !== undefined) await inFlight.waitFor(hi, lo);
        // What DedupState.process does, inline: one promise per record fewer. The answer read
        // ahead spares the Deduplicator's tables while it is still good.
        const answer = state.seen(p, hi, lo, key, answers[slot] as number);
        if (!isRemembered(answer)) {
          const mine = inFlight.enter(hi, lo);
          try {
            await handler(p);
            const persisting = state.handled(p, hi, lo, key, answer);
            if (persisting !== undefined) await persisting;
          } finally {
            inFlight.leave(mine);
          }
        }
      }
      resolveOffset(p.message.offset);
      await heartbeat();
      await commitOffsetsIfNecessary();
      if (paused) break;
    }
  };
  const runConfig = {
    eachBatch,
    eachBatchAutoResolve: false as const,
  };
  return Object.assign(eachBatch, { events: state.events, stats: () => state.stats(), runConfig });
}

const LOOKAHEAD = 64;
const WINDOW = 2 * LOOKAHEAD;
