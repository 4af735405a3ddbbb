import type { EachMessagePayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type BatchPayload, dedupBatch } from '../dedup/dedup-batch-handler.js';
import { dedup, type MessagePayload } from '../dedup/dedup-handler.js';
import { Deduplicator } from '../dedup/deduplicator.js';
import { MirrorKitSeenKeyStoreError } from '../errors.js';
import type { SeenKeyRestore } from './seen-key-store.js';
import { type OpenableSeenKeyStore, SeenKeyStores } from './seen-key-stores.js';

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

/** MirrorKit's eachMessage payload, as far as dedup looks at it: with the cluster it was read from. */
function payload(cluster: string | undefined, key: string, offset: number): MessagePayload {
  return { topic: 'orders', partition: 0, message: message(key, offset), ...(cluster ? { cluster } : {}) };
}

/** A cluster's store in memory: `persisted` are the keys its topic holds. */
function memoryStore(persisted: string[], options: { failOpens?: number } = {}) {
  let failOpens = options.failOpens ?? 0;
  const log = { opens: 0, written: [] as string[], closed: false };
  const store: OpenableSeenKeyStore = {
    open: async (deduplicator: Deduplicator): Promise<SeenKeyRestore> => {
      log.opens++;
      await new Promise((r) => setTimeout(r, 5));
      if (failOpens-- > 0) throw new Error('cluster unreachable');
      let restored = 0;
      for (const key of persisted) if (deduplicator.add(key)) restored++;
      return { restored, ignored: persisted.length - restored, corrupt: 0 };
    },
    remember: async (key) => {
      log.written.push(key);
      persisted.push(key);
    },
    close: async () => {
      log.closed = true;
    },
  };
  return { store, log };
}

function counting() {
  const calls: string[] = [];
  const handle = async (p: MessagePayload): Promise<void> =>
    void calls.push(`${p.cluster}:${p.message.key?.toString()}`);
  return { calls, handle };
}

describe('SeenKeyStores', () => {
  it("writes each key to the store of the cluster its record was read from, and restores a cluster's keys before the first record read there is looked up", async () => {
    const east = memoryStore(['us-east:1']);
    // What the group handled on the DR cluster before (a previous failover).
    const west = memoryStore(['us-east:8', 'us-east:9']);
    const stores = new SeenKeyStores({ 'us-east': east.store, 'us-west': west.store });
    const opened: string[] = [];
    stores.events.on('opened', (o) => opened.push(`${o.cluster} restored ${o.restored}`));
    const seen = new Deduplicator({ maxKeys: 100 });
    expect(await stores.open(seen, 'us-east')).toEqual({ restored: 1, ignored: 0, corrupt: 0 });
    const { calls, handle } = counting();
    const handler = dedup(handle, { deduplicator: seen, store: stores });

    for (const [i, key] of ['us-east:1', 'us-east:2', 'us-east:3'].entries())
      await handler(payload('us-east', key, i));
    expect(west.log.opens).toBe(0);
    // Failover: the same group reads the DR cluster now; its first records arrive concurrently.
    await Promise.all(
      ['us-east:3', 'us-east:9', 'us-east:4'].map((key, i) => handler(payload('us-west', key, 10 + i))),
    );
    await handler(payload('us-west', 'us-east:8', 13));

    expect(calls).toEqual(['us-east:us-east:2', 'us-east:us-east:3', 'us-west:us-east:4']);
    expect(east.log.written).toEqual(['us-east:2', 'us-east:3']);
    expect(west.log.written).toEqual(['us-east:4']);
    expect(west.log.opens).toBe(1);
    expect(opened).toEqual(['us-east restored 1', 'us-west restored 2']);
    expect(handler.stats()).toMatchObject({ processed: 3, duplicates: 4 });

    // Failback: the home store is open already and takes the keys again.
    await handler(payload('us-east', 'us-east:5', 3));
    expect(east.log.written).toEqual(['us-east:2', 'us-east:3', 'us-east:5']);
    expect(east.log.opens).toBe(1);
    await stores.close();
    expect(east.log.closed && west.log.closed).toBe(true);
    await expect(stores.remember('us-east:6', 'us-east')).rejects.toMatchObject({
      code: 'SEEN_KEY_STORE_NOT_OPEN',
    });
  });

  it('fails a record read from a cluster without a store, or from no named cluster, before its handler', async () => {
    const stores = new SeenKeyStores({ 'us-east': memoryStore([]).store });
    const { calls, handle } = counting();
    const handler = dedup(handle, { deduplicator: new Deduplicator({ maxKeys: 10 }), store: stores });
    const unknown = await handler(payload('eu-central', 'us-east:1', 0)).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(MirrorKitSeenKeyStoreError);
    expect(unknown).toMatchObject({ code: 'SEEN_KEY_STORE_UNKNOWN_CLUSTER' });
    expect((unknown as Error).message).toContain('eu-central');
    await expect(handler(payload(undefined, 'us-east:1', 0))).rejects.toMatchObject({
      code: 'SEEN_KEY_STORE_UNKNOWN_CLUSTER',
    });
    expect(calls).toEqual([]);
    expect(handler.stats()).toMatchObject({ processed: 0, persistFailures: 0 });
  });

  it('fails the records of a cluster whose store does not open, before their handler, and opens it with a later record', async () => {
    const west = memoryStore(['us-east:9'], { failOpens: 1 });
    const stores = new SeenKeyStores({ 'us-west': west.store });
    const { calls, handle } = counting();
    const handler = dedup(handle, { deduplicator: new Deduplicator({ maxKeys: 10 }), store: stores });
    await expect(handler(payload('us-west', 'us-east:9', 0))).rejects.toThrow('cluster unreachable');
    expect(calls).toEqual([]);
    // kafkajs hands the record over again.
    await handler(payload('us-west', 'us-east:9', 0));
    await handler(payload('us-west', 'us-east:10', 1));
    expect(calls).toEqual(['us-west:us-east:10']);
    expect(west.log.opens).toBe(2);
    expect(handler.stats()).toMatchObject({ processed: 1, duplicates: 1 });
  });

  it('with dedupBatch: readies the store of the batch’s cluster before the batch, and writes there', async () => {
    const east = memoryStore([]);
    const west = memoryStore(['us-east:1']);
    const stores = new SeenKeyStores({ 'us-east': east.store, 'us-west': west.store });
    const calls: string[] = [];
    const deduped = dedupBatch(
      async (p: EachMessagePayload) => void calls.push(p.message.key?.toString() ?? ''),
      { deduplicator: new Deduplicator({ maxKeys: 10 }), store: stores },
    );
    const batch = (cluster: string, keys: string[]): BatchPayload & { cluster: string } => ({
      cluster,
      batch: { topic: 'orders', partition: 0, messages: keys.map((k, i) => message(k, i)) },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      pause: () => () => undefined,
      isRunning: () => true,
      isStale: () => false,
    });
    await deduped(batch('us-east', ['us-east:0', 'us-east:2']));
    await deduped(batch('us-west', ['us-east:1', 'us-east:2', 'us-east:3']));
    expect(calls).toEqual(['us-east:0', 'us-east:2', 'us-east:3']);
    expect(east.log.written).toEqual(['us-east:0', 'us-east:2']);
    expect(west.log.written).toEqual(['us-east:3']);
  });
});
