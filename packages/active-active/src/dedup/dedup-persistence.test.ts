import type { EachMessagePayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { MirrorKitDedupError, MirrorKitDedupPersistError, MirrorKitSeenKeyStoreError } from '../errors.js';
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

function payload(key: string, offset: number, extra: Partial<MessagePayload> = {}): MessagePayload {
  return { topic: 'orders', partition: 0, message: message(key, offset), ...extra };
}

/**
 * A store whose writes fail while `down` says so (per key), recording what it wrote and checking,
 * at every write, that the record being persisted has not been committed.
 */
function flakyStore(down: (key: string, call: number) => boolean, check: (key: string) => void = () => {}) {
  const written: string[] = [];
  let calls = 0;
  const store: SeenKeyStore = {
    remember: async (key) => {
      check(key);
      if (down(key, calls++)) throw new Error(`store down (${key})`);
      written.push(key);
    },
  };
  return { store, written };
}

/**
 * kafkajs's eachMessage loop over one partition, as far as offsets go: hands the records over in
 * order from the committed offset, commits each one that settled, and stops at one that fails (a
 * later run hands it over again).
 */
class Partition {
  committed = 0;
  constructor(readonly records: MessagePayload[]) {}
  async run(handler: (p: MessagePayload) => Promise<void>): Promise<unknown> {
    while (this.committed < this.records.length) {
      try {
        await handler(this.records[this.committed] as MessagePayload);
      } catch (error) {
        return error;
      }
      this.committed++;
    }
    return undefined;
  }
}

const keysOf = (n: number) => Array.from({ length: n }, (_, i) => `us-east:${i}`);
const offsetOf = (key: string) => Number(key.split(':')[1]);

/** A handler counting its calls per key. */
function counting() {
  const calls = new Map<string, number>();
  const handle = async (p: MessagePayload): Promise<void> => {
    const key = p.message.key?.toString() ?? '';
    calls.set(key, (calls.get(key) ?? 0) + 1);
  };
  return { calls, handle };
}

describe('dedup() with a store that rejects writes', () => {
  it('retries the write, never the handler: each key handled once, its offset held back until written', async () => {
    const partition = new Partition(keysOf(6).map((k, i) => payload(k, i)));
    // us-east:2's first three writes fail; at every write its record is not committed yet.
    const { store, written } = flakyStore(
      (key) => key === 'us-east:2' && failures.length < 3,
      (key) => expect(partition.committed).toBeLessThanOrEqual(offsetOf(key)),
    );
    const { calls, handle } = counting();
    const handler = dedup(handle, {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      store,
      persistRetry: { initialDelayMs: 1 },
    });
    const failures: string[] = [];
    handler.events.on('persist-failed', (f) => {
      failures.push(`${f.key} #${f.attempt} @${f.offset}`);
      // While a write is outstanding, the record is not committed and the key counts as unpersisted.
      expect(partition.committed).toBe(2);
      expect(handler.stats().unpersistedKeys).toBe(1);
    });

    expect(await partition.run(handler)).toBeUndefined();
    expect([...calls]).toEqual(keysOf(6).map((k) => [k, 1]));
    expect(failures).toEqual(['us-east:2 #1 @2', 'us-east:2 #2 @2', 'us-east:2 #3 @2']);
    expect(written).toEqual(keysOf(6));
    expect(handler.stats()).toEqual({
      processed: 6,
      duplicates: 0,
      invalidKeys: 0,
      persistFailures: 3,
      unpersistedKeys: 0,
    });
  });

  it('when the consumer stops while writes fail: the record fails uncommitted, and comes again to be written, not handled (also by a new handler over the same seen-set)', async () => {
    const partition = new Partition(keysOf(6).map((k, i) => payload(k, i)));
    let storeUp = false;
    const { store, written } = flakyStore(
      (key) => key === 'us-east:2' && !storeUp,
      (key) => expect(partition.committed).toBeLessThanOrEqual(offsetOf(key)),
    );
    const { calls, handle } = counting();
    const seen = new Deduplicator({ maxKeys: 100 });
    const stopping = new AbortController();
    const first = dedup(handle, {
      deduplicator: seen,
      store,
      signal: stopping.signal,
      persistRetry: { initialDelayMs: 5 },
    });
    first.events.on('persist-failed', (f) => {
      if (f.attempt === 3) stopping.abort();
    });

    const error = await partition.run(first);
    expect(error).toBeInstanceOf(MirrorKitDedupPersistError);
    expect(error).toMatchObject({ code: 'DEDUP_KEY_NOT_PERSISTED', key: 'us-east:2', attempts: 3 });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(partition.committed).toBe(2);
    expect(first.stats()).toMatchObject({ processed: 3, persistFailures: 3, unpersistedKeys: 1 });

    // The consumer restarts in this process with a new handler over the same seen-set: the record
    // of us-east:2 comes again; its key is written, and it is not handed to the handler.
    storeUp = true;
    const second = dedup(handle, { deduplicator: seen, store });
    const duplicates: string[] = [];
    second.events.on('duplicate', (d) => duplicates.push(`${d.key}@${d.offset}`));
    expect(await partition.run(second)).toBeUndefined();
    expect([...calls]).toEqual(keysOf(6).map((k) => [k, 1]));
    expect(duplicates).toEqual(['us-east:2@2']);
    expect(written).toEqual(keysOf(6));
    expect(second.stats()).toEqual({
      processed: 3,
      duplicates: 1,
      invalidKeys: 0,
      persistFailures: 0,
      unpersistedKeys: 0,
    });
  });

  it('heartbeats while retrying; a heartbeat that fails (a rebalance) hands the record back to kafkajs, which hands it over again: written, not handled', async () => {
    const rebalancing = Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), {
      type: 'REBALANCE_IN_PROGRESS',
    });
    let heartbeats = 0;
    let rebalance = true;
    const heartbeat = async () => {
      heartbeats++;
      if (rebalance) throw rebalancing;
    };
    const partition = new Partition(keysOf(4).map((k, i) => payload(k, i, { heartbeat })));
    let writesOf1 = 0;
    const { store, written } = flakyStore(
      (key) => key === 'us-east:1' && ++writesOf1 <= 2,
      (key) => expect(partition.committed).toBeLessThanOrEqual(offsetOf(key)),
    );
    const { calls, handle } = counting();
    const handler = dedup(handle, {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      store,
      persistRetry: { initialDelayMs: 1 },
    });

    expect(await partition.run(handler)).toBe(rebalancing);
    expect(partition.committed).toBe(1);
    expect(heartbeats).toBe(1);
    rebalance = false;
    expect(await partition.run(handler)).toBeUndefined();
    expect([...calls]).toEqual(keysOf(4).map((k) => [k, 1]));
    expect(written).toEqual(keysOf(4));
    expect(handler.stats()).toMatchObject({
      processed: 4,
      duplicates: 1,
      persistFailures: 2,
      unpersistedKeys: 0,
    });
  });

  it('a copy of the key read meanwhile from another topic waits for the write, then is a duplicate', async () => {
    let storeUp = false;
    const { store, written } = flakyStore(() => !storeUp);
    const { calls, handle } = counting();
    const handler = dedup(handle, {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      store,
      persistRetry: { initialDelayMs: 2, maxDelayMs: 4 },
    });
    let failures = 0;
    handler.events.on('persist-failed', () => void failures++);
    const settled: string[] = [];
    const local = handler(payload('us-east:7', 0)).then(() => void settled.push('local'));
    while (failures < 2) await new Promise((r) => setTimeout(r, 1));
    const copy = handler(payload('us-east:7', 0, { topic: 'us-east.orders' })).then(
      () => void settled.push('copy'),
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toEqual([]);
    storeUp = true;
    await Promise.all([local, copy]);
    expect(settled).toEqual(['local', 'copy']);
    expect([...calls]).toEqual([['us-east:7', 1]]);
    expect(written).toEqual(['us-east:7']);
    expect(handler.stats()).toMatchObject({ processed: 1, duplicates: 1, unpersistedKeys: 0 });
  });

  it('gives up at once when the store cannot take the key (not open), without running the handler again', async () => {
    const closed: SeenKeyStore = {
      remember: async () => {
        throw new MirrorKitSeenKeyStoreError('open() the store before use');
      },
    };
    const { calls, handle } = counting();
    const handler = dedup(handle, { deduplicator: new Deduplicator({ maxKeys: 10 }), store: closed });
    const error = await handler(payload('us-east:1', 0)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEDUP_KEY_NOT_PERSISTED', attempts: 1 });
    expect((error as Error).cause).toBeInstanceOf(MirrorKitSeenKeyStoreError);
    await expect(handler(payload('us-east:1', 0))).rejects.toBeInstanceOf(MirrorKitDedupPersistError);
    expect([...calls]).toEqual([['us-east:1', 1]]);
    expect(handler.stats()).toMatchObject({
      processed: 1,
      duplicates: 1,
      persistFailures: 2,
      unpersistedKeys: 1,
    });
  });

  it('waits longer after each failure, doubling up to maxDelayMs', async () => {
    const at: number[] = [];
    const { store } = flakyStore(
      (_key, call) => call < 5,
      () => void at.push(performance.now()),
    );
    const handler = dedup(async () => undefined, {
      deduplicator: new Deduplicator({ maxKeys: 10 }),
      store,
      persistRetry: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    await handler(payload('us-east:1', 0));
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(gaps).toHaveLength(5);
    for (const [i, expected] of [20, 40, 50, 50, 50].entries()) {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 2);
      expect(gaps[i]).toBeLessThan(expected + 250);
    }
  });

  it('refuses a bad backoff', () => {
    const deduplicator = new Deduplicator({ maxKeys: 10 });
    const noop = async () => undefined;
    expect(() => dedup(noop, { deduplicator, persistRetry: { initialDelayMs: -1 } })).toThrow(
      MirrorKitDedupError,
    );
    expect(() =>
      dedup(noop, { deduplicator, persistRetry: { initialDelayMs: 100, maxDelayMs: 10 } }),
    ).toThrow(MirrorKitDedupError);
    expect(() => dedupBatch(noop, { deduplicator, persistRetry: { maxDelayMs: Number.NaN } })).toThrow(
      MirrorKitDedupError,
    );
  });
});

/** What kafkajs hands an eachBatch handler, recording the offsets resolved. */
function batch(messages: KafkaMessage[], running: () => boolean = () => true) {
  const resolved: string[] = [];
  let commitChecks = 0;
  const payload: BatchPayload = {
    batch: { topic: 'orders', partition: 0, messages },
    resolveOffset: (offset) => void resolved.push(offset),
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async () => void commitChecks++,
    pause: () => () => undefined,
    isRunning: running,
    isStale: () => false,
  };
  return { payload, resolved, commitChecks: () => commitChecks };
}

describe('dedupBatch() with a store that rejects writes', () => {
  const eachMessage = (calls: Map<string, number>) => async (p: EachMessagePayload) => {
    const key = p.message.key?.toString() ?? '';
    calls.set(key, (calls.get(key) ?? 0) + 1);
  };

  it('retries the write, never the handler: the message is resolved only once its key is written', async () => {
    const messages = keysOf(6).map((k, i) => message(k, i));
    let writesOf3 = 0;
    const b = batch(messages);
    const { store, written } = flakyStore(
      (key) => key === 'us-east:3' && ++writesOf3 <= 4,
      // Resolved (and so committable) offsets never include the message whose key is written now.
      (key) => expect(b.resolved).toEqual(messages.slice(0, offsetOf(key)).map((m) => m.offset)),
    );
    const calls = new Map<string, number>();
    const deduped = dedupBatch(eachMessage(calls), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      store,
      persistRetry: { initialDelayMs: 1 },
    });
    await deduped(b.payload);
    expect([...calls]).toEqual(keysOf(6).map((k) => [k, 1]));
    expect(b.resolved).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(b.commitChecks()).toBe(6);
    expect(written).toEqual(keysOf(6));
    expect(deduped.stats()).toEqual({
      processed: 6,
      duplicates: 0,
      invalidKeys: 0,
      persistFailures: 4,
      unpersistedKeys: 0,
    });
  });

  it('when the consumer stops while writes fail: the batch fails at that message, unresolved; redelivered, it is written, not handled', async () => {
    const messages = keysOf(6).map((k, i) => message(k, i));
    let storeUp = false;
    let running = true;
    const { store, written } = flakyStore((key) => key === 'us-east:2' && !storeUp);
    const calls = new Map<string, number>();
    const deduped = dedupBatch(eachMessage(calls), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      store,
      persistRetry: { initialDelayMs: 5 },
    });
    deduped.events.on('persist-failed', (f) => {
      if (f.attempt === 2) running = false;
    });
    const first = batch(messages, () => running);
    const error = await deduped(first.payload).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEDUP_KEY_NOT_PERSISTED', key: 'us-east:2', attempts: 2 });
    expect(first.resolved).toEqual(['0', '1']);
    expect(deduped.stats()).toMatchObject({ processed: 3, persistFailures: 2, unpersistedKeys: 1 });

    // kafkajs starts the next batch at the first unresolved offset.
    storeUp = true;
    running = true;
    const again = batch(messages.slice(2));
    await deduped(again.payload);
    expect(again.resolved).toEqual(['2', '3', '4', '5']);
    expect([...calls]).toEqual(keysOf(6).map((k) => [k, 1]));
    expect(written).toEqual(keysOf(6));
    expect(deduped.stats()).toEqual({
      processed: 6,
      duplicates: 1,
      invalidKeys: 0,
      persistFailures: 2,
      unpersistedKeys: 0,
    });
  });
});
