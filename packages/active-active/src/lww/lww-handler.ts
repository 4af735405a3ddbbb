import { EventEmitter } from 'eventemitter3';
import type { MessagePayload } from '../dedup/dedup-handler.js';
import { MirrorKitClockError } from '../errors.js';
import type { HlcStamp, HybridLogicalClock } from './hybrid-logical-clock.js';
import { compareEntries, type LwwEntry } from './lww.js';
import { readOrigin, readStamp } from './record-stamp.js';

/**
 * The application's state, one last-write-wins entry per key. Sync or async; {@link lww} never
 * lets two records of one key interleave between its `get` and its `put`.
 */
export interface LwwStore<T> {
  get(key: string): LwwEntry<T> | undefined | Promise<LwwEntry<T> | undefined>;
  put(key: string, entry: LwwEntry<T>): void | Promise<void>;
}

/** What a record means for the state: a value for a key, or a delete of it. */
export type LwwWrite<T> = { key: string; value: T } | { key: string; deleted: true };

/** Events of an {@link lww} handler. */
export interface LwwEvents {
  applied: [info: { key: string; stamp: HlcStamp }];
  stale: [info: { key: string; stamp: HlcStamp; current: HlcStamp }];
  skew: [info: { key: string; stamp: HlcStamp; error: MirrorKitClockError }];
  'invalid-stamp': [info: { topic: string; partition: number; offset: string; reason: string }];
}

/** Options of {@link lww}. */
export interface LwwOptions<P extends MessagePayload, T> {
  /** This region's clock; every applied stamp is absorbed into it (so later local writes win). */
  clock: HybridLogicalClock;
  store: LwwStore<T>;
  /** Reads the write a record carries; null to ignore the record. */
  writeOf(payload: P): LwwWrite<T> | null;
  /**
   * Records without an HLC header: `timestamp` (default) orders them by the record's own
   * timestamp (plain wall clock: counter 0, region from the origin header or key prefix);
   * `skip` ignores them. Malformed headers are always skipped and reported.
   */
  missingStamp?: 'timestamp' | 'skip';
}

/** An `eachMessage` handler applying last-write-wins, with its events. */
export interface LwwHandler<P extends MessagePayload> {
  (payload: P): Promise<void>;
  readonly events: EventEmitter<LwwEvents>;
}

/**
 * An `eachMessage` handler that applies a record's write to `store` only when it is newer than the
 * entry there (by HLC stamp, then region, then record key), so every region that sees the same
 * writes in any order ends with the same state. Stamps too far ahead of the local clock are
 * reported (`skew`); with the clock's `onSkew: 'reject'` they are not applied.
 *
 * @example
 * ```ts
 * const state = new Map<string, LwwEntry<Account>>();
 * consumer.run({ eachMessage: lww(payload => ({ key: id(payload), value: parse(payload) }), …) });
 * ```
 */
export function lww<P extends MessagePayload, T>(options: LwwOptions<P, T>): LwwHandler<P> {
  const events = new EventEmitter<LwwEvents>();
  // The clock reports skew synchronously inside receive(); one listener for the handler's life
  // marks it for the record being handled.
  let skewed = false;
  options.clock.on('skew', () => {
    skewed = true;
  });
  // Keys whose read-compare-write waits on an asynchronous store, with the records waiting for them.
  const pending = new Map<string, (() => void)[]>();
  const handler = async (payload: P): Promise<void> => {
    const write = options.writeOf(payload);
    if (write === null) return;
    const { message } = payload;
    let stamp: HlcStamp | null;
    try {
      stamp = readStamp(message.headers);
    } catch (error) {
      events.emit('invalid-stamp', {
        topic: payload.topic,
        partition: payload.partition,
        offset: message.offset,
        reason: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    if (stamp === null) {
      if ((options.missingStamp ?? 'timestamp') === 'skip') return;
      stamp = {
        wallMs: Number(message.timestamp),
        counter: 0,
        region: readOrigin(message.headers, message.key) ?? 'unknown',
      };
    }
    // The clock reports skew synchronously inside receive(); pass it on for this record.
    skewed = false;
    try {
      options.clock.absorb(stamp);
      if (skewed) {
        events.emit('skew', {
          key: write.key,
          stamp,
          error: new MirrorKitClockError(
            'CLOCK_SKEW',
            `stamp from ${stamp.region} is ahead of ${options.clock.region}'s clock beyond the bound; applied (onSkew: report)`,
          ),
        });
      }
    } catch (error) {
      if (!(error instanceof MirrorKitClockError)) throw error;
      if (error.code === 'CLOCK_SKEW') events.emit('skew', { key: write.key, stamp, error });
      else
        events.emit('invalid-stamp', {
          topic: payload.topic,
          partition: payload.partition,
          offset: message.offset,
          reason: error.message,
        });
      return;
    }
    const entry: LwwEntry<T> =
      'deleted' in write
        ? { stamp, id: message.key?.toString() ?? '', deleted: true, value: undefined }
        : { stamp, id: message.key?.toString() ?? '', deleted: false, value: write.value };
    // Read, compare, write: no other record of this key may read in between (copies of a write
    // arrive on several topics, handled concurrently with partitionsConsumedConcurrently > 1), or
    // an older write could overwrite a newer one. A synchronous store is not awaited, so nothing
    // else runs in between (and no microtask is spent per record); an asynchronous one holds the
    // key until its write is done.
    const key = write.key;
    for (
      let waiters = pending.size === 0 ? undefined : pending.get(key);
      waiters;
      waiters = pending.get(key)
    ) {
      const list = waiters;
      await new Promise<void>((resolveWait) => list.push(resolveWait));
    }
    let holding = false;
    try {
      const got = options.store.get(key);
      let current: LwwEntry<T> | undefined;
      if (isThenable(got)) {
        pending.set(key, []);
        holding = true;
        current = await got;
      } else current = got;
      if (current !== undefined && compareEntries(current, entry) >= 0) {
        // The hot path builds event payloads only for listeners that exist.
        if (events.listenerCount('stale') > 0) events.emit('stale', { key, stamp, current: current.stamp });
        return;
      }
      const put = options.store.put(key, entry);
      if (isThenable(put)) {
        if (!holding) pending.set(key, []);
        holding = true;
        await put;
      }
      if (events.listenerCount('applied') > 0) events.emit('applied', { key, stamp });
    } finally {
      if (holding) {
        const waiters = pending.get(key) ?? [];
        pending.delete(key);
        for (const wake of waiters) wake();
      }
    }
  };
  return Object.assign(handler, { events });
}

/** What `await` would wait for. */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
