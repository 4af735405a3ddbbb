import type { EventEmitter } from 'eventemitter3';
import type { KafkaMessage } from 'kafkajs';
import { readDedupKey } from './dedup-key.js';
import { DedupState } from './dedup-state.js';
import type { Deduplicator } from './deduplicator.js';
import type { Fingerprint } from './key-fingerprint.js';
import type { SeenKeyStore } from './seen-key-store.js';

/** The part of a kafkajs or MirrorKit `eachMessage` payload dedup needs. */
export interface MessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** Events of a {@link dedup} handler. */
export interface DedupEvents {
  duplicate: [info: { key: string; topic: string; partition: number; offset: string }];
  'invalid-key': [info: { topic: string; partition: number; offset: string; action: 'pass' | 'skip' }];
}

/** Counters of a {@link dedup} handler. */
export interface DedupHandlerStats {
  readonly processed: number;
  readonly duplicates: number;
  readonly invalidKeys: number;
}

/** Options of {@link dedup}. */
export interface DedupOptions<P extends MessagePayload> {
  /** The seen-set (bounded: see {@link Deduplicator}). */
  deduplicator: Deduplicator;
  /**
   * The dedup key of a message. Default: the record key, when it is a region key
   * (`<region>:<id>`); anything else is an invalid key. The default reads the key's bytes
   * directly (no string is made for an ASCII key unless an event listener or the `store` needs
   * it); it is the same dedup key as the key's text.
   */
  keyOf?: (payload: P) => string | null;
  /**
   * Records without a usable key: `pass` (default) hands them to the handler undeduplicated;
   * `skip` drops them (their offsets are committed). Both count and emit `invalid-key`.
   */
  invalidKey?: 'pass' | 'skip';
  /** Persists each processed key, so a restarted consumer still recognises it. */
  store?: SeenKeyStore;
}

/** A deduplicating `eachMessage` handler with its counters and events. */
export interface DedupHandler<P extends MessagePayload> {
  (payload: P): Promise<void>;
  readonly events: EventEmitter<DedupEvents>;
  stats(): DedupHandlerStats;
}

/**
 * Wraps an `eachMessage` handler (kafkajs's or MirrorKit's) so each key is handled once: a
 * message whose key was already processed is skipped, counted and its offset committed as usual.
 *
 * A key is remembered only after the handler succeeds, so a handler that throws (and is retried
 * by kafkajs) is not mistaken for a duplicate. Copies of one key arriving concurrently (say
 * `orders` and `us-west.orders` with `partitionsConsumedConcurrently > 1`) are serialised: the
 * second waits for the first and is then a duplicate. With a `store`, the key is persisted after
 * the handler and before the offset can be committed; a crash between the handler and that write
 * may hand the record over again on restart (at-least-once at that one point).
 *
 * For throughput, {@link dedupBatch} does the same over `eachBatch` for less per record: it sees
 * the keys to come, and loads their places in a large seen-set before it needs them.
 *
 * @example
 * ```ts
 * const seen = new Deduplicator({ maxKeys: 1_000_000, windowMs: 7 * 24 * 3600_000 });
 * await consumer.run({ eachMessage: dedup(async ({ message }) => handle(message), { deduplicator: seen }) });
 * ```
 */
export function dedup<P extends MessagePayload>(
  handler: (payload: P) => Promise<void>,
  options: DedupOptions<P>,
): DedupHandler<P> {
  const state = new DedupState(handler, options);
  const { keyOf } = options;
  const fp: Fingerprint = { hi: 0, lo: 0 };
  const wrapped = (payload: P): Promise<void> => {
    let key: string | null | false;
    try {
      key = readDedupKey(payload, keyOf, fp);
    } catch (error) {
      return Promise.reject(error);
    }
    const done = key === false ? state.invalid(payload) : state.process(payload, fp.hi, fp.lo, key);
    return done ?? SETTLED;
  };
  return Object.assign(wrapped, { events: state.events, stats: () => state.stats() });
}

/** What a skipped record's handler returns: nothing to wait for. */
const SETTLED: Promise<void> = Promise.resolve();
