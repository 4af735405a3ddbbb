import { EventEmitter } from 'eventemitter3';
import type { DedupEvents, DedupHandlerStats, DedupOptions, MessagePayload } from './dedup-handler.js';
import { dedupKeyText } from './dedup-key.js';
import { type Deduplicator, fingerprintAccess } from './deduplicator.js';
import { InFlightKeys } from './in-flight-keys.js';
import type { SeenKeyStore } from './seen-key-store.js';

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
  readonly #invalidKey: 'pass' | 'skip';
  #processed = 0;
  #duplicates = 0;
  #invalidKeys = 0;

  constructor(handler: (payload: P) => Promise<void>, options: DedupOptions<P>) {
    this.handler = handler;
    this.deduplicator = options.deduplicator;
    this.store = options.store;
    this.#invalidKey = options.invalidKey ?? 'pass';
  }

  stats(): DedupHandlerStats {
    return { processed: this.#processed, duplicates: this.#duplicates, invalidKeys: this.#invalidKeys };
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
   * Whether `hi:lo` was processed; counted and reported when it was. Call with no copy of the key
   * in flight; when not, enter it before anything else runs, handle, then {@link handled}.
   */
  seen(payload: P, hi: number, lo: number, key: string | null): boolean {
    if (!fingerprintAccess.has(this.deduplicator, hi, lo)) return false;
    this.#duplicates++;
    if (this.events.listenerCount('duplicate') > 0)
      this.events.emit('duplicate', {
        key: dedupKeyText(payload, key),
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
      });
    return true;
  }

  /** The handler succeeded: persist the key (with a store), then remember it. */
  handled(payload: P, hi: number, lo: number, key: string | null): Promise<void> | undefined {
    if (this.store) return this.#persistThenRemember(payload, hi, lo, key);
    fingerprintAccess.add(this.deduplicator, hi, lo);
    this.#processed++;
    return undefined;
  }

  async #persistThenRemember(payload: P, hi: number, lo: number, key: string | null): Promise<void> {
    await this.store?.remember(dedupKeyText(payload, key));
    fingerprintAccess.add(this.deduplicator, hi, lo);
    this.#processed++;
  }

  async #handle(payload: P, hi: number, lo: number, key: string | null): Promise<void> {
    const mine = this.inFlight.enter(hi, lo);
    try {
      await this.handler(payload);
      const persisting = this.handled(payload, hi, lo, key);
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
