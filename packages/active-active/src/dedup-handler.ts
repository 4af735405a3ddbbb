import { EventEmitter } from 'eventemitter3';
import type { KafkaMessage } from 'kafkajs';
import { type Deduplicator, fingerprintAccess } from './deduplicator.js';
import { type Fingerprint, fingerprint, fingerprintAscii, keyText } from './key-fingerprint.js';
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
  const events = new EventEmitter<DedupEvents>();
  const { deduplicator, store, keyOf } = options;
  const invalidKey = options.invalidKey ?? 'pass';
  const { has, add } = fingerprintAccess;
  // Keys being handled now, by fingerprint (the Deduplicator's notion of "the same key"), with
  // whoever waits for them. Waiters are rare (concurrent copies of one key), so the common path
  // allocates one small record and no promise.
  const inFlight = new InFlightKeys();
  const fp: Fingerprint = { hi: 0, lo: 0 };
  let processed = 0;
  let duplicates = 0;
  let invalidKeys = 0;

  const invalid = async (payload: P): Promise<void> => {
    invalidKeys++;
    if (events.listenerCount('invalid-key') > 0)
      events.emit('invalid-key', {
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
        action: invalidKey,
      });
    if (invalidKey === 'pass') {
      await handler(payload);
      processed++;
    }
  };

  const wrapped = async (payload: P): Promise<void> => {
    // The key's text, made here only when the key has to be decoded; else on demand.
    let key: string | null = null;
    if (keyOf) {
      key = keyOf(payload);
      if (key === null) return invalid(payload);
      fingerprint(key, fp);
    } else {
      const raw = payload.message.key as Buffer | string | null | undefined;
      if (raw === null || raw === undefined) return invalid(payload);
      if (typeof raw !== 'string' && fingerprintAscii(raw, fp)) {
        let colon = 0;
        while (colon < raw.length && raw[colon] !== COLON) colon++;
        if (colon === 0 || colon >= raw.length - 1) return invalid(payload);
      } else {
        key = typeof raw === 'string' ? raw : keyText(raw);
        const colon = key.indexOf(':');
        if (colon <= 0 || colon === key.length - 1) return invalid(payload);
        fingerprint(key, fp);
      }
    }
    const hi = fp.hi;
    const lo = fp.lo;
    for (let busy = inFlight.find(hi, lo); busy; busy = inFlight.find(hi, lo)) {
      const waiting = busy;
      await new Promise<void>((resolveWait) => {
        waiting.waiters ??= [];
        waiting.waiters.push(resolveWait);
      });
    }
    if (has(deduplicator, hi, lo)) {
      duplicates++;
      if (events.listenerCount('duplicate') > 0)
        events.emit('duplicate', {
          key: key ?? keyText(payload.message.key as Buffer),
          topic: payload.topic,
          partition: payload.partition,
          offset: payload.message.offset,
        });
      return;
    }
    const mine = inFlight.enter(hi, lo);
    try {
      await handler(payload);
      if (store) await store.remember(key ?? keyText(payload.message.key as Buffer));
      add(deduplicator, hi, lo);
      processed++;
    } finally {
      inFlight.leave(mine);
      if (mine.waiters) for (const wake of mine.waiters) wake();
    }
  };
  return Object.assign(wrapped, {
    events,
    stats: (): DedupHandlerStats => ({ processed, duplicates, invalidKeys }),
  });
}

const COLON = 0x3a;

/** A key being handled. */
interface InFlight {
  readonly hi: number;
  readonly lo: number;
  waiters: (() => void)[] | null;
  prev: InFlight | null;
  next: InFlight | null;
}

/**
 * The keys being handled, by fingerprint. One key in flight (kafkajs's default of one partition at
 * a time) needs no map; more go into a map by the fingerprint's low 30 bits (a small integer),
 * chained when two share those. Exported for tests only.
 */
export class InFlightKeys {
  #solo: InFlight | null = null;
  readonly #byTag = new Map<number, InFlight>();

  find(hi: number, lo: number): InFlight | undefined {
    const solo = this.#solo;
    if (solo !== null && solo.hi === hi && solo.lo === lo) return solo;
    if (this.#byTag.size === 0) return undefined;
    let entry = this.#byTag.get(lo & TAG_MASK) ?? null;
    while (entry !== null && (entry.hi !== hi || entry.lo !== lo)) entry = entry.next;
    return entry ?? undefined;
  }

  enter(hi: number, lo: number): InFlight {
    const entry: InFlight = { hi, lo, waiters: null, prev: null, next: null };
    if (this.#solo === null) {
      this.#solo = entry;
      return entry;
    }
    const tag = lo & TAG_MASK;
    const first = this.#byTag.get(tag);
    if (first) {
      entry.next = first;
      first.prev = entry;
    }
    this.#byTag.set(tag, entry);
    return entry;
  }

  leave(entry: InFlight): void {
    if (entry === this.#solo) {
      this.#solo = null;
      return;
    }
    const { prev, next } = entry;
    if (next) next.prev = prev;
    if (prev) prev.next = next;
    else if (next) this.#byTag.set(entry.lo & TAG_MASK, next);
    else this.#byTag.delete(entry.lo & TAG_MASK);
  }
}

const TAG_MASK = 0x3fffffff;
