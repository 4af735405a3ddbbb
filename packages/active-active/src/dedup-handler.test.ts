import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { dedup, type MessagePayload } from './dedup-handler.js';
import { Deduplicator } from './deduplicator.js';
import type { SeenKeyStore } from './seen-key-store.js';

let offset = 0;
function payload(key: string | null, topic = 'orders'): MessagePayload {
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
    expect(handler.stats()).toEqual({ processed: 2, duplicates: 2, invalidKeys: 0 });
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
    expect(skipping.stats()).toEqual({ processed: 0, duplicates: 0, invalidKeys: 1 });
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
});
