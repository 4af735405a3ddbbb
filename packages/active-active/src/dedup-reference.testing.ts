// Test support, not shipped (excluded from the build): dedup() as a plain reference model.
import { EventEmitter } from 'eventemitter3';
import type { DedupEvents, DedupHandler, MessagePayload } from './dedup-handler.js';
import type { Deduplicator } from './deduplicator.js';
import type { SeenKeyStore } from './seen-key-store.js';

/** dedup() as it was before it read keys as bytes: keys decoded to text, events always built. */
export function referenceDedup<P extends MessagePayload = MessagePayload>(
  handler: (payload: P) => Promise<void>,
  options: { deduplicator: Deduplicator; invalidKey?: 'pass' | 'skip'; store?: SeenKeyStore },
): DedupHandler<P> {
  const events = new EventEmitter<DedupEvents>();
  const inFlight = new Map<string, (() => void)[]>();
  let processed = 0;
  let duplicates = 0;
  let invalidKeys = 0;
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
    if (options.deduplicator.has(key)) {
      duplicates++;
      events.emit('duplicate', {
        key,
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.message.offset,
      });
      return;
    }
    inFlight.set(key, []);
    try {
      await handler(payload);
      if (options.store) await options.store.remember(key);
      options.deduplicator.add(key);
      processed++;
    } finally {
      const waiters = inFlight.get(key) ?? [];
      inFlight.delete(key);
      for (const wake of waiters) wake();
    }
  };
  return Object.assign(wrapped, { events, stats: () => ({ processed, duplicates, invalidKeys }) });
}
