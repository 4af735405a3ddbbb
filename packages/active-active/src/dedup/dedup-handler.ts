import type { EventEmitter } from 'eventemitter3';
import type { KafkaMessage } from 'kafkajs';
import type { CoPartitioning } from '../assignment/co-partitioned-assigner.js';
import { coPartitionedNeed, withAssignmentNeed } from '../assignment/co-partitioned-need.js';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import { readDedupKey } from './dedup-key.js';
import { DedupState } from './dedup-state.js';
import type { Deduplicator } from './deduplicator.js';
import type { Fingerprint } from './key-fingerprint.js';
import type { PersistRetryOptions } from './persist-retry.js';

/** The part of a kafkajs or MirrorKit `eachMessage` payload dedup needs. */
export interface MessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /**
   * The alias of the cluster the record was read from (MirrorKit's consumer sets it): handed to
   * the store, which may keep one per cluster ({@link SeenKeyStores}).
   */
  readonly cluster?: string;
  /** kafkajs's heartbeat: called while a failing store write is retried. */
  readonly heartbeat?: () => Promise<void>;
}

/** Events of a {@link dedup} handler. */
export interface DedupEvents {
  duplicate: [info: { key: string; topic: string; partition: number; offset: string }];
  'invalid-key': [info: { topic: string; partition: number; offset: string; action: 'pass' | 'skip' }];
  /**
   * The store rejected the write of a handled key (`attempt`: how many writes of it failed so
   * far). It is retried; the record's offset waits for it.
   */
  'persist-failed': [
    info: {
      key: string;
      topic: string;
      partition: number;
      offset: string;
      cluster: string | undefined;
      attempt: number;
      error: unknown;
    },
  ];
}

/** Counters of a {@link dedup} handler. */
export interface DedupHandlerStats {
  /** Records whose handler succeeded. */
  readonly processed: number;
  /** Records not handed to the handler because their key was processed. */
  readonly duplicates: number;
  readonly invalidKeys: number;
  /** Store writes that failed (each retried; see `persist-failed`). */
  readonly persistFailures: number;
  /**
   * Keys handled whose store write has not succeeded yet (of this seen-set, so across handlers
   * sharing it). Records carrying them do not settle, so their offsets are not committed: a
   * number that stays up means a store that stays down.
   */
  readonly unpersistedKeys: number;
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
  /**
   * Persists each processed key, so a restarted consumer still recognises it. For a consumer that
   * moves between clusters, one store per cluster: {@link SeenKeyStores}.
   */
  store?: SeenKeyStore;
  /** The backoff between writes the store rejected. Default 100 ms, doubling up to 5 s. */
  persistRetry?: PersistRetryOptions;
  /**
   * Abort when the consumer stops, to end the retries of a store that stays down: a kafkajs
   * `consumer.disconnect()` waits for the record being handled, and an `eachMessage` payload does
   * not say that the consumer is stopping ({@link dedupBatch} also ends them when `isRunning()`
   * turns false). The record whose write is given up fails (`MirrorKitDedupPersistError`).
   */
  signal?: AbortSignal;
  /**
   * The group assignment the handler asks of MirrorKit's consumer, which reads it from the
   * handler: partition p of a topic and of all its remote copies to one member
   * ({@link CoPartitioning}), without which the copies of a key sent to both regions go to two
   * members of a group and are handled once by each. A {@link PartitionedSeenKeyStore} given as
   * `store` (alone or in {@link SeenKeyStores}) then follows the group's joins by itself. Default:
   * on, with a CoPartitioning made with the consumer's replication policy; give one for its
   * `mismatch` events; `false` for none. A plain kafkajs consumer reads nothing from the handler:
   * give it `partitionAssigners: [co.partitionAssigner]` and `store.follow(consumer)` yourself.
   */
  coPartitioning?: CoPartitioning | false;
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
 * second waits for the first and is then a duplicate.
 *
 * With a `store`, the key is remembered in memory as soon as its handler succeeded, then written
 * to the store; the record settles only once it is written, so its offset is never committed
 * before its key is persisted. A write the store rejects is retried with backoff
 * (`persistRetry`; each failure counted in `persistFailures` and emitted as `persist-failed`) —
 * never the handler. The retries end only when the consumer stops (`signal`; in dedupBatch also
 * `isRunning()`) or its heartbeat fails (a rebalance): the record then fails, kafkajs does not
 * commit its offset, and when the record (or any copy of its key) comes again in this process it
 * is not handed to the handler — the key is written, and only then does that record settle.
 *
 * At-least-once, exactly where: a key that was handled but is not yet persisted is known only to
 * this process's memory (`unpersistedKeys`). If the process dies then, or the partition moves to
 * another process (a rebalance while the store is down), the record's offset was not committed
 * and the store does not have the key, so whoever reads the record next runs the handler again.
 * Apart from keys the seen-set forgot (`maxKeys`, `windowMs`), that is the only way a key whose
 * handler succeeded reaches a handler again.
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
  const { prepares, preparesPartitions } = state;
  const afterReady = async (
    readying: Promise<void>,
    payload: P,
    hi: number,
    lo: number,
    key: string | null,
  ) => {
    await readying;
    await state.process(payload, hi, lo, key);
  };
  const wrapped = (payload: P): Promise<void> => {
    let key: string | null | false;
    try {
      key = readDedupKey(payload, keyOf, fp);
    } catch (error) {
      return Promise.reject(error);
    }
    if (key === false) return state.invalid(payload) ?? SETTLED;
    if (prepares || preparesPartitions) {
      // The store's keys for this record's cluster, and for its partition when the store is
      // partitioned like the data, must be in the seen-set before it is looked up.
      const forCluster = prepares ? state.ready(payload.cluster) : undefined;
      const forPartition = preparesPartitions
        ? state.readyPartition(payload.cluster, payload.partition)
        : undefined;
      const readying =
        forCluster === undefined
          ? forPartition
          : forPartition === undefined
            ? forCluster
            : Promise.all([forCluster, forPartition]).then(() => undefined);
      if (readying !== undefined) return afterReady(readying, payload, fp.hi, fp.lo, key);
    }
    return state.process(payload, fp.hi, fp.lo, key) ?? SETTLED;
  };
  return withCoPartitioning(
    Object.assign(wrapped, { events: state.events, stats: () => state.stats() }),
    options,
  );
}

/** `handler` asking for co-partitioned assignment, unless `options` turn it off. */
export function withCoPartitioning<H extends object>(
  handler: H,
  options: Pick<DedupOptions<MessagePayload>, 'coPartitioning' | 'store'>,
): H {
  if (options.coPartitioning === false) return handler;
  return withAssignmentNeed(handler, coPartitionedNeed(options.coPartitioning, options.store));
}

/** What a skipped record's handler returns: nothing to wait for. */
const SETTLED: Promise<void> = Promise.resolve();
