import { EventEmitter } from 'eventemitter3';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import type { DedupEvents, DedupHandlerStats, DedupOptions, MessagePayload } from './dedup-handler.js';
import { dedupKeyText } from './dedup-key.js';
import { type Deduplicator, fingerprintAccess } from './deduplicator.js';
import { InFlightKeys } from './in-flight-keys.js';
import { type Backoff, backoffOf, type RetryContext, writeUntilDone } from './persist-retry.js';

/**
 * Keys handled whose store write has not succeeded, by seen-set (fingerprint `hi:lo` → key text).
 * Kept with the Deduplicator, which already holds these keys, rather than with one handler: a new
 * dedup() over the same seen-set (a consumer restarted in this process) must write them before it
 * lets a record carrying one through, not take them for plain duplicates and commit past them.
 */
const unpersistedBySeenSet = new WeakMap<Deduplicator, Map<string, string>>();

function unpersistedOf(deduplicator: Deduplicator): Map<string, string> {
  let keys = unpersistedBySeenSet.get(deduplicator);
  if (keys === undefined) {
    keys = new Map();
    unpersistedBySeenSet.set(deduplicator, keys);
  }
  return keys;
}

const idOf = (hi: number, lo: number): string => `${hi}:${lo}`;

// No cluster readied yet (undefined is a cluster value: a payload that names none).
const NOT_READY: unique symbol = Symbol('not ready');

/**
 * What {@link dedup} and {@link dedupBatch} share: the seen-set, the keys in flight, the counters
 * and the events, and the one way a record is handled. Internal.
 */
export class DedupState<P extends MessagePayload> {
  readonly events = new EventEmitter<DedupEvents>();
  readonly inFlight = new InFlightKeys();
  readonly deduplicator: Deduplicator;
  readonly handler: (payload: P) => Promise<void>;
  readonly store: SeenKeyStore | undefined;
  /** Whether the store wants to be readied per cluster ({@link ready}). */
  readonly prepares: boolean;
  /** Whether the store wants to be readied per partition ({@link readyPartition}). */
  readonly preparesPartitions: boolean;
  readonly #invalidKey: 'pass' | 'skip';
  readonly #signal: AbortSignal | undefined;
  readonly #backoff: Backoff;
  readonly #unpersisted: Map<string, string>;
  #readyFor: string | undefined | typeof NOT_READY = NOT_READY;
  #processed = 0;
  #duplicates = 0;
  #invalidKeys = 0;
  #persistFailures = 0;
  /** Whether retries must end, as far as dedup() can tell (an eachMessage payload cannot say). */
  readonly aborted = (): boolean => this.#signal?.aborted === true;

  constructor(handler: (payload: P) => Promise<void>, options: DedupOptions<P>) {
    this.handler = handler;
    this.deduplicator = options.deduplicator;
    this.store = options.store;
    this.prepares = typeof options.store?.prepare === 'function';
    this.preparesPartitions = typeof options.store?.preparePartition === 'function';
    this.#invalidKey = options.invalidKey ?? 'pass';
    this.#signal = options.signal;
    this.#backoff = backoffOf(options.persistRetry);
    this.#unpersisted = unpersistedOf(options.deduplicator);
  }

  stats(): DedupHandlerStats {
    return {
      processed: this.#processed,
      duplicates: this.#duplicates,
      invalidKeys: this.#invalidKeys,
      persistFailures: this.#persistFailures,
      unpersistedKeys: this.#unpersisted.size,
    };
  }

  /**
   * Readies the store for records read from `cluster` (a store per cluster restores that
   * cluster's keys); undefined when it is ready, as it is for every record but the first after a
   * change of cluster.
   */
  ready(cluster: string | undefined): Promise<void> | undefined {
    if (cluster === this.#readyFor) return undefined;
    const store = this.store;
    const preparing = store?.prepare === undefined ? undefined : store.prepare(cluster, this.deduplicator);
    if (preparing === undefined) {
      this.#readyFor = cluster;
      return undefined;
    }
    return preparing.then(() => {
      this.#readyFor = cluster;
    });
  }

  /**
   * Readies the store for a record of `partition` (a store partitioned like the data restores the
   * keys of a newly owned partition first); undefined when ready.
   */
  readyPartition(cluster: string | undefined, partition: number): Promise<void> | undefined {
    return this.store?.preparePartition?.(cluster, partition, this.deduplicator);
  }

  /** A record without a usable key: counted, reported, and handled or skipped as configured. */
  invalid(payload: P): Promise<void> | undefined {
    this.#invalidKeys++;
    if (this.events.listenerCount('invalid-key') > 0)
      this.events.emit('invalid-key', {
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
        action: this.#invalidKey,
      });
    return this.#invalidKey === 'pass' ? this.#handleUnkeyed(payload) : undefined;
  }

  /**
   * Skips `payload` when its key (fingerprint `hi:lo`, text `key` or null) was processed, else
   * hands it to the handler and remembers the key once that succeeded. Undefined when skipped
   * (nothing to wait for), so a caller spends no promise on a duplicate.
   */
  process(payload: P, hi: number, lo: number, key: string | null): Promise<void> | undefined {
    if (this.inFlight.find(hi, lo) !== undefined) return this.#processAfterCopy(payload, hi, lo, key);
    if (this.unpersisted(hi, lo)) return this.persistAgain(payload, hi, lo, payload.cluster, undefined);
    if (this.seen(payload, hi, lo, key)) return undefined;
    return this.#handle(payload, hi, lo, key);
  }

  async #processAfterCopy(payload: P, hi: number, lo: number, key: string | null): Promise<void> {
    // Another copy of this key is being handled: wait for it, then this one is (most likely) a
    // duplicate — unless that handler failed.
    await this.inFlight.waitFor(hi, lo);
    await this.process(payload, hi, lo, key);
  }

  /**
   * Whether `hi:lo` was handled and its store write is still outstanding: a record carrying it
   * must not reach the handler, nor settle before the write ({@link persistAgain}). Call with no
   * copy of the key in flight, before {@link seen}.
   */
  unpersisted(hi: number, lo: number): boolean {
    return this.#unpersisted.size !== 0 && this.#unpersisted.has(idOf(hi, lo));
  }

  /**
   * Whether `hi:lo` was processed; counted and reported when it was. Call with no copy of the key
   * in flight and after {@link unpersisted}; when not, enter it before anything else runs, handle,
   * then {@link handled}.
   */
  seen(payload: P, hi: number, lo: number, key: string | null): boolean {
    if (!fingerprintAccess.has(this.deduplicator, hi, lo)) return false;
    this.#duplicate(payload, key);
    return true;
  }

  /**
   * The handler succeeded: remember the key at once (so nothing hands it to the handler again,
   * whatever becomes of the write), then with a store write it, retried until it is written or the
   * consumer stops (`stopped`, besides the `signal`). `cluster`: where the record was read.
   */
  handled(
    payload: P,
    hi: number,
    lo: number,
    key: string | null,
    cluster: string | undefined,
    stopped: (() => boolean) | undefined,
  ): Promise<void> | undefined {
    fingerprintAccess.add(this.deduplicator, hi, lo);
    this.#processed++;
    if (this.store === undefined) return undefined;
    return this.#persist(payload, hi, lo, dedupKeyText(payload, key), cluster, stopped);
  }

  /**
   * A record carrying a key that was handled but is not written yet (see {@link unpersisted}): a
   * duplicate for the handler, but it settles only once the key is written.
   */
  persistAgain(
    payload: P,
    hi: number,
    lo: number,
    cluster: string | undefined,
    stopped: (() => boolean) | undefined,
  ): Promise<void> {
    const id = idOf(hi, lo);
    const text = this.#unpersisted.get(id) as string;
    this.#duplicate(payload, text);
    return this.#writeAgain(payload, hi, lo, id, text, cluster, stopped);
  }

  async #writeAgain(
    payload: P,
    hi: number,
    lo: number,
    id: string,
    text: string,
    cluster: string | undefined,
    stopped: (() => boolean) | undefined,
  ): Promise<void> {
    // In flight while writing, as after a handler: copies of the key wait instead of writing too.
    const mine = this.inFlight.enter(hi, lo);
    try {
      await this.#write(payload, id, text, cluster, stopped);
    } finally {
      this.inFlight.leave(mine);
    }
  }

  #persist(
    payload: P,
    hi: number,
    lo: number,
    text: string,
    cluster: string | undefined,
    stopped: (() => boolean) | undefined,
  ): Promise<void> {
    // Unpersisted from now until written: if this write is given up, the record that comes again
    // (or any copy of it) finds the key here and writes it instead of being let through.
    const id = idOf(hi, lo);
    this.#unpersisted.set(id, text);
    return this.#write(payload, id, text, cluster, stopped);
  }

  async #write(
    payload: P,
    id: string,
    text: string,
    cluster: string | undefined,
    stopped: (() => boolean) | undefined,
  ): Promise<void> {
    const store = this.store as SeenKeyStore;
    try {
      await store.remember(text, cluster, payload.partition);
    } catch (error) {
      await writeUntilDone(
        text,
        () => store.remember(text, cluster, payload.partition),
        this.#retryContext(payload, text, cluster, stopped),
        error,
      );
    }
    this.#unpersisted.delete(id);
  }

  #retryContext(
    payload: P,
    text: string,
    cluster: string | undefined,
    stopped: (() => boolean) | undefined,
  ): RetryContext {
    const beat = payload.heartbeat;
    return {
      backoff: this.#backoff,
      stopped: stopped === undefined ? this.aborted : () => this.aborted() || stopped(),
      signal: this.#signal,
      heartbeat: beat === undefined ? undefined : () => beat.call(payload),
      failed: (error, attempt) => {
        this.#persistFailures++;
        this.events.emit('persist-failed', {
          key: text,
          topic: payload.topic,
          partition: payload.partition,
          offset: payload.message.offset,
          cluster,
          attempt,
          error,
        });
      },
    };
  }

  #duplicate(payload: P, key: string | null): void {
    this.#duplicates++;
    if (this.events.listenerCount('duplicate') > 0)
      this.events.emit('duplicate', {
        key: dedupKeyText(payload, key),
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
      });
  }

  async #handle(payload: P, hi: number, lo: number, key: string | null): Promise<void> {
    const mine = this.inFlight.enter(hi, lo);
    try {
      await this.handler(payload);
      const persisting = this.handled(payload, hi, lo, key, payload.cluster, undefined);
      if (persisting !== undefined) await persisting;
    } finally {
      this.inFlight.leave(mine);
    }
  }

  async #handleUnkeyed(payload: P): Promise<void> {
    await this.handler(payload);
    this.#processed++;
  }
}
