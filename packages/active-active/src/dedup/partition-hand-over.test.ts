import type { EachMessagePayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import { type BatchPayload, dedupBatch } from './dedup-batch-handler.js';
import { dedup, type MessagePayload } from './dedup-handler.js';
import { Deduplicator } from './deduplicator.js';

function message(key: string, offset: number): KafkaMessage {
  return {
    key: Buffer.from(key),
    value: Buffer.from('v'),
    offset: String(offset),
    timestamp: '0',
    attempts: 0,
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

/**
 * A store partitioned like the data, in memory: partition 1 is "being restored" until `restore()`
 * is called, which adds the keys a previous owner persisted there.
 */
function handOverStore(previousOwnerKeys: string[]) {
  const written: { key: string; partition: number | undefined }[] = [];
  let finish: () => void = () => undefined;
  let ready = false;
  const restoring = new Promise<void>((resolveRestore) => {
    finish = resolveRestore;
  });
  let seen: Deduplicator | undefined;
  const store: SeenKeyStore = {
    remember: async (key, _cluster, partition) => void written.push({ key, partition }),
    preparePartition: (_cluster, partition, deduplicator) => {
      if (partition !== 1 || ready) return undefined;
      seen = deduplicator;
      return restoring;
    },
  };
  const restore = () => {
    for (const key of previousOwnerKeys) seen?.add(key);
    ready = true;
    finish();
  };
  return { store, written, restore };
}

const tick = () => new Promise((resolveTick) => setImmediate(resolveTick));

describe('the hand-over of a newly owned partition', () => {
  it('dedup(): no record of the partition reaches the handler before its keys are restored; others flow', async () => {
    const { store, written, restore } = handOverStore(['us-east:handled-before']);
    const calls: string[] = [];
    const handler = dedup(async (p: MessagePayload) => void calls.push(p.message.key?.toString() ?? ''), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      store,
    });
    const onOne = handler({
      topic: 'us-east.orders',
      partition: 1,
      message: message('us-east:handled-before', 0),
    });
    const onOneNew = handler({ topic: 'orders', partition: 1, message: message('us-west:new', 0) });
    await handler({ topic: 'orders', partition: 0, message: message('us-west:other', 0) });
    await tick();
    expect(calls).toEqual(['us-west:other']);
    restore();
    await Promise.all([onOne, onOneNew]);
    // The key the previous owner handled is a duplicate; the new one is handled, and written to
    // the store partition of its record.
    expect(calls).toEqual(['us-west:other', 'us-west:new']);
    expect(written).toEqual([
      { key: 'us-west:other', partition: 0 },
      { key: 'us-west:new', partition: 1 },
    ]);
    expect(handler.stats().duplicates).toBe(1);
  });

  it('dedupBatch(): the same, per batch', async () => {
    const { store, written, restore } = handOverStore(['us-east:handled-before']);
    const calls: string[] = [];
    const deduped = dedupBatch(
      async (p: EachMessagePayload) => void calls.push(p.message.key?.toString() ?? ''),
      { deduplicator: new Deduplicator({ maxKeys: 100 }), store },
    );
    const resolved: string[] = [];
    const payload: BatchPayload = {
      batch: {
        topic: 'us-east.orders',
        partition: 1,
        messages: [message('us-east:handled-before', 0), message('us-east:new', 1)],
      },
      resolveOffset: (offset) => void resolved.push(offset),
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      pause: () => () => undefined,
      isRunning: () => true,
      isStale: () => false,
    };
    const running = deduped(payload);
    await tick();
    expect(calls).toEqual([]);
    expect(resolved).toEqual([]);
    restore();
    await running;
    expect(calls).toEqual(['us-east:new']);
    expect(resolved).toEqual(['0', '1']);
    expect(written).toEqual([{ key: 'us-east:new', partition: 1 }]);
  });
});
