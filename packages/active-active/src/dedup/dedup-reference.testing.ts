// Test support, not shipped (excluded from the build): dedup() as a plain reference model.
import { EventEmitter } from 'eventemitter3';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import type { DedupEvents, DedupHandler, MessagePayload } from './dedup-handler.js';
import type { Deduplicator } from './deduplicator.js';
import type { PersistRetryOptions } from './persist-retry.js';

/**
 * dedup() as it was before it read keys as bytes: keys decoded to text, events always built; and
 * with a store, what it promises when the store fails: the key is remembered once the handler
 * succeeded, and a rejected write is retried (here at once, without end) before the record
 * settles — never the handler.
 */
export function referenceDedup<P extends MessagePayload = MessagePayload>(
  handler: (payload: P) => Promise<void>,
  // persistRetry is taken and not looked at: the reference retries at once.
  options: {
    deduplicator: Deduplicator;
    invalidKey?: 'pass' | 'skip';
    store?: SeenKeyStore;
    persistRetry?: PersistRetryOptions;
  },
): DedupHandler<P> {
  const events = new EventEmitter<DedupEvents>();
  const inFlight = new Map<string, (() => void)[]>();
  let processed = 0;
  let duplicates = 0;
  let invalidKeys = 0;
  let persistFailures = 0;
  // Keys handled whose write has not succeeded yet.
  const unpersisted = new Set<string>();
  const write = async (payload: P, key: string, store: SeenKeyStore): Promise<void> => {
    unpersisted.add(key);
    for (let attempt = 1; ; attempt++) {
      try {
        await store.remember(key, payload.cluster, payload.partition);
        unpersisted.delete(key);
        return;
      } catch (error) {
        persistFailures++;
        events.emit('persist-failed', {
          key,
          topic: payload.topic,
          partition: payload.partition,
          offset: payload.message.offset,
          cluster: payload.cluster,
          attempt,
          error,
        });
      }
    }
  };
  const keyOf = (payload: P): string | null => {
    const raw = payload.message.key;
    if (raw === null) return null;
    const key = raw.toString();
    const colon = key.indexOf(':');
    return colon > 0 && colon < key.length - 1 ? key : null;
  };
  const wrapped = async (payload: P): Promise<void> => {
    const key = keyOf(payload);
    if (key === null) {
      invalidKeys++;
      const action = options.invalidKey ?? 'pass';
      events.emit('invalid-key', {
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
        action,
      });
      if (action === 'pass') {
        await handler(payload);
        processed++;
      }
      return;
    }
    for (let waiters = inFlight.get(key); waiters; waiters = inFlight.get(key)) {
      const list = waiters;
      await new Promise<void>((resolveWait) => list.push(resolveWait));
    }
    const pending = unpersisted.has(key);
    if (pending || options.deduplicator.has(key)) {
      duplicates++;
      events.emit('duplicate', {
        key,
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
      });
      if (!pending || !options.store) return;
    }
    inFlight.set(key, []);
    try {
      if (!pending) {
        await handler(payload);
        options.deduplicator.add(key);
        processed++;
      }
      if (options.store) await write(payload, key, options.store);
    } finally {
      const waiters = inFlight.get(key) ?? [];
      inFlight.delete(key);
      for (const wake of waiters) wake();
    }
  };
  return Object.assign(wrapped, {
    events,
    stats: () => ({ processed, duplicates, invalidKeys, persistFailures, unpersistedKeys: unpersisted.size }),
  });
}
