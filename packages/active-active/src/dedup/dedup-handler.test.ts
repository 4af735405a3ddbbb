import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import { dedup, type MessagePayload } from './dedup-handler.js';
import { referenceDedup } from './dedup-reference.testing.js';
import { Deduplicator } from './deduplicator.js';
import { fingerprint } from './key-fingerprint.js';

let offset = 0;
function payload(key: string | Buffer | null, topic = 'orders'): MessagePayload {
  const message = {
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from('v'),
    offset: String(offset++),
    timestamp: '0',
    attributes: 0,
    headers: {},
  } as KafkaMessage;
  return { topic, partition: 0, message };
}

describe('dedup()', () => {
  it('hands each region key to the handler once and counts the rest', async () => {
    const handled: string[] = [];
    const duplicates: string[] = [];
    const handler = dedup(async (p) => void handled.push(p.message.key?.toString() ?? ''), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
    });
    handler.events.on('duplicate', (d) => duplicates.push(`${d.topic}:${d.key}`));
    for (const p of [
      payload('us-east:1'),
      payload('us-east:1', 'us-east.orders'),
      payload('us-west:1'),
      payload('us-east:1'),
    ])
      await handler(p);
    expect(handled).toEqual(['us-east:1', 'us-west:1']);
    expect(duplicates).toEqual(['us-east.orders:us-east:1', 'orders:us-east:1']);
    expect(handler.stats()).toEqual({
      processed: 2,
      duplicates: 2,
      invalidKeys: 0,
      persistFailures: 0,
      unpersistedKeys: 0,
    });
  });

  it('does not remember a key whose handler failed, so the retry is processed', async () => {
    let attempts = 0;
    const handler = dedup(
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('transient');
      },
      { deduplicator: new Deduplicator({ maxKeys: 10 }) },
    );
    const p = payload('us-east:7');
    await expect(handler(p)).rejects.toThrow('transient');
    await handler(p);
    await handler(p);
    expect(attempts).toBe(2);
  });

  it('serialises concurrent copies of one key: the second waits and is a duplicate', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const handler = dedup(
      async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
      },
      { deduplicator: new Deduplicator({ maxKeys: 10 }) },
    );
    await Promise.all([handler(payload('us-east:9')), handler(payload('us-east:9', 'us-east.orders'))]);
    expect(calls).toBe(1);
    expect(maxRunning).toBe(1);
  });

  it('passes or skips records without a region key, as configured, and reports them', async () => {
    const seen: string[] = [];
    const passing = dedup(async (p) => void seen.push(String(p.message.key)), {
      deduplicator: new Deduplicator({ maxKeys: 10 }),
    });
    const actions: string[] = [];
    passing.events.on('invalid-key', (e) => actions.push(e.action));
    await passing(payload(null));
    await passing(payload('no-region'));
    await passing(payload('no-region'));
    expect(seen).toEqual(['null', 'no-region', 'no-region']);
    const skipping = dedup(async (p) => void seen.push(String(p.message.key)), {
      deduplicator: new Deduplicator({ maxKeys: 10 }),
      invalidKey: 'skip',
    });
    skipping.events.on('invalid-key', (e) => actions.push(e.action));
    await skipping(payload('no-region'));
    expect(seen).toHaveLength(3);
    expect(actions).toEqual(['pass', 'pass', 'pass', 'skip']);
    expect(skipping.stats()).toEqual({
      processed: 0,
      duplicates: 0,
      invalidKeys: 1,
      persistFailures: 0,
      unpersistedKeys: 0,
    });
  });

  it('persists a key after its handler and before returning', async () => {
    const order: string[] = [];
    const store: SeenKeyStore = { remember: async (key) => void order.push(`remember ${key}`) };
    const handler = dedup(async () => void order.push('handle'), {
      deduplicator: new Deduplicator({ maxKeys: 10 }),
      store,
    });
    await handler(payload('us-east:1'));
    await handler(payload('us-east:1'));
    expect(order).toEqual(['handle', 'remember us-east:1']);
  });

  it('uses a custom key', async () => {
    let calls = 0;
    const handler = dedup(
      async () => {
        calls++;
      },
      { deduplicator: new Deduplicator({ maxKeys: 10 }), keyOf: (p) => p.message.value?.toString() ?? null },
    );
    await handler(payload('us-east:1'));
    await handler(payload('us-east:2'));
    expect(calls).toBe(1);
  });

  it('persists and reports keys as text, and recognises keys restored as text when they arrive as bytes', async () => {
    const remembered: string[] = [];
    const reported: string[] = [];
    const seen = new Deduplicator({ maxKeys: 10 });
    seen.add('us-east:restored'); // what KafkaSeenKeyStore.open does
    const handler = dedup(async () => undefined, {
      deduplicator: seen,
      store: { remember: async (key) => void remembered.push(key) },
    });
    handler.events.on('duplicate', (d) => reported.push(d.key));
    for (const key of ['us-east:restored', 'us-west:é-1', 'us-west:é-1', 'us-east:a', 'us-east:a'])
      await handler(payload(key));
    expect(remembered).toEqual(['us-west:é-1', 'us-east:a']);
    expect(reported).toEqual(['us-east:restored', 'us-west:é-1', 'us-east:a']);
    expect(seen.has('us-west:é-1') && seen.has('us-east:a')).toBe(true);
  });

  it('runs different keys concurrently and copies of one key one at a time, also keys sharing an in-flight tag', async () => {
    // Two keys whose fingerprints agree in the low 30 bits (the in-flight map's tag).
    const byTag = new Map<number, string>();
    let pair: [string, string] | undefined;
    const fp = { hi: 0, lo: 0 };
    for (let i = 0; !pair; i++) {
      const key = `us-east:k${i}`;
      const tag = fingerprint(key, fp).lo & 0x3fffffff;
      const other = byTag.get(tag);
      if (other !== undefined) pair = [other, key];
      else byTag.set(tag, key);
    }
    const keys = [...pair, 'us-west:c', 'us-west:d'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 })), {
          minLength: 1,
          maxLength: 10,
        }),
        async (records) => {
          const running = new Map<string, number>();
          let overlapping = 0;
          let maxOverlapping = 0;
          const handled: string[] = [];
          const handler = dedup(
            async (p) => {
              const key = p.message.key?.toString() ?? '';
              running.set(key, (running.get(key) ?? 0) + 1);
              expect(running.get(key)).toBe(1);
              maxOverlapping = Math.max(maxOverlapping, ++overlapping);
              await new Promise((r) => setTimeout(r, Number(p.message.value?.toString())));
              handled.push(key);
              running.set(key, 0);
              overlapping--;
            },
            { deduplicator: new Deduplicator({ maxKeys: 10 }) },
          );
          await Promise.all(
            records.map(([k, ms]) => {
              const p = payload(keys[k] as string);
              (p.message as { value: Buffer }).value = Buffer.from(String(ms));
              return handler(p);
            }),
          );
          const distinct = new Set(records.map(([k]) => keys[k]));
          expect(handled.sort()).toEqual([...distinct].sort());
          // Copies waited for their key; different keys did not wait for each other.
          expect(maxOverlapping).toBe(distinct.size);
          expect(handler.stats()).toMatchObject({
            processed: distinct.size,
            duplicates: records.length - distinct.size,
          });
          // Nothing is left in flight: every key is a plain duplicate now.
          for (const key of keys) await handler(payload(key));
          expect(handled).toHaveLength(distinct.size + keys.filter((k) => !distinct.has(k)).length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('behaves exactly like the string-keyed reference for any keys, bytes, failures and store, also a store rejecting writes', async () => {
    const keys = fc.oneof(
      fc.constantFrom('us-east:1', 'us-west:1', 'us-east:1 ', 'eu:ü-3', 'eu:ü-3 ', ':x', 'x:', 'x', ':', ''),
      fc.constantFrom('us-east:\ufffd', 'us-east:\u{1f600}').map((k) => Buffer.from(k)),
      // Not UTF-8: the same key as its decoding (U+FFFD), as before.
      fc
        .constantFrom([0x75, 0x3a, 0xff], [0x75, 0x3a, 0xfe], [0xff, 0x3a, 0x31], [0x3a, 0xff])
        .map((b) => Buffer.from(b)),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(keys, fc.boolean()), { maxLength: 40 }),
        fc.constantFrom('pass' as const, 'skip' as const),
        fc.boolean(),
        // Which store writes fail, by call (those past the end succeed, so every key gets written).
        fc.array(fc.boolean(), { maxLength: 30 }),
        async (records, invalidKey, withStore, failing) => {
          const run = async (make: typeof referenceDedup) => {
            const log: string[] = [];
            let calls = 0;
            const store: SeenKeyStore = {
              remember: async (key) => {
                if (failing[calls++]) throw new Error('store down');
                log.push(`remember ${key}`);
              },
            };
            const handler = make(
              async (p) => {
                log.push(`handle ${p.message.offset}`);
                if (p.message.value?.toString() === 'fail') throw new Error('fail');
              },
              {
                deduplicator: new Deduplicator({ maxKeys: 4 }),
                invalidKey,
                ...(withStore ? { store } : {}),
                persistRetry: { initialDelayMs: 0 },
              },
            );
            handler.events.on('duplicate', (d) => log.push(`duplicate ${d.key} ${d.offset}`));
            handler.events.on('invalid-key', (e) => log.push(`invalid ${e.offset} ${e.action}`));
            handler.events.on('persist-failed', (f) =>
              log.push(`persist-failed ${f.key} ${f.offset} ${f.attempt}`),
            );
            for (const [i, [key, fails]] of records.entries()) {
              const p = payload(key);
              (p.message as { offset: string }).offset = String(i);
              if (fails) (p.message as { value: Buffer }).value = Buffer.from('fail');
              await handler(p).catch(() => log.push(`failed ${i}`));
            }
            return { log, stats: handler.stats() };
          };
          expect(await run(dedup)).toEqual(await run(referenceDedup));
        },
      ),
      { numRuns: 300 },
    );
  });
});
