import fc from 'fast-check';
import type { EachMessagePayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import { type BatchPayload, dedupBatch } from './dedup-batch-handler.js';
import { referenceDedup } from './dedup-reference.testing.js';
import { Deduplicator } from './deduplicator.js';

function message(key: string | Buffer | null, offset: number, value = 'v'): KafkaMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

/** What kafkajs hands an eachBatch handler, recording what the handler does with it. */
function batchPayload(
  messages: KafkaMessage[],
  options: { topic?: string; partition?: number; running?: () => boolean; stale?: () => boolean } = {},
) {
  const resolved: string[] = [];
  const calls = { heartbeats: 0, commitChecks: 0, pauses: 0, resumes: 0 };
  const payload: BatchPayload = {
    batch: { topic: options.topic ?? 'orders', partition: options.partition ?? 0, messages },
    resolveOffset: (offset) => void resolved.push(offset),
    heartbeat: async () => void calls.heartbeats++,
    commitOffsetsIfNecessary: async () => void calls.commitChecks++,
    pause: () => {
      calls.pauses++;
      return () => void calls.resumes++;
    },
    isRunning: options.running ?? (() => true),
    isStale: options.stale ?? (() => false),
  };
  return { payload, resolved, calls };
}

describe('dedupBatch()', () => {
  it('hands each message to the handler in order, skips duplicates, and resolves every offset', async () => {
    const handled: string[] = [];
    const deduped = dedupBatch(async ({ message }) => void handled.push(`${message.offset}:${message.key}`), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
    });
    const { payload, resolved, calls } = batchPayload([
      message('us-east:1', 10),
      message('us-west:1', 11),
      message('us-east:1', 12),
      message('us-east:2', 13),
      message('us-west:1', 14),
    ]);
    await deduped(payload);
    expect(handled).toEqual(['10:us-east:1', '11:us-west:1', '13:us-east:2']);
    // Duplicates' offsets are resolved too (committed as usual), one heartbeat and commit check each.
    expect(resolved).toEqual(['10', '11', '12', '13', '14']);
    expect(calls).toMatchObject({ heartbeats: 5, commitChecks: 5 });
    expect(deduped.stats()).toEqual({
      processed: 3,
      duplicates: 2,
      invalidKeys: 0,
      persistFailures: 0,
      unpersistedKeys: 0,
    });
    expect(deduped.runConfig).toEqual({ eachBatch: deduped, eachBatchAutoResolve: false });
  });

  it('behaves exactly like dedup() handing the same records over one by one, for any batches, keys, failures and store, also a store rejecting writes', async () => {
    const keys = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.integer({ min: 0, max: 40 }).map((i) => `us-${i % 2 ? 'east' : 'west'}:${i}`),
      },
      fc.constantFrom('eu:ü-3', 'x', ':x', 'x:', ''),
      fc.constantFrom(Buffer.from([0x75, 0x3a, 0xff]), Buffer.from('us-east:\u{1f600}')),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(
        // size 'max': lengths up to 400, not fast-check's default of a few, so batches run past the
        // 128-record read-ahead ring.
        fc.array(
          fc.tuple(
            keys,
            fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
          ),
          { maxLength: 400, size: 'max' },
        ),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('pass' as const, 'skip' as const),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        // Which store writes fail, by call (those past the end succeed, so every key gets written).
        fc.array(fc.boolean(), { maxLength: 40 }),
        async (records, sizes, invalidKey, withStore, maxKeys, failing) => {
          // Each record whose flag is set fails the first time it is handled, as a transient error.
          const run = async (
            deliver: (handler: (p: EachMessagePayload) => Promise<void>, log: string[]) => Promise<unknown>,
          ) => {
            const log: string[] = [];
            const attempts = new Map<string, number>();
            const handler = async (p: EachMessagePayload) => {
              const tries = (attempts.get(p.message.offset) ?? 0) + 1;
              attempts.set(p.message.offset, tries);
              log.push(`handle ${p.message.offset}`);
              if (p.message.value?.toString() === 'fail' && tries === 1) throw new Error('transient');
            };
            const stats = await deliver(handler, log);
            return { log, stats };
          };
          const messages = records.map(([key, fails], i) => message(key, i, fails ? 'fail' : 'v'));
          const store = (log: string[]): SeenKeyStore => {
            let calls = 0;
            return {
              remember: async (key) => {
                if (failing[calls++]) throw new Error('store down');
                log.push(`remember ${key}`);
              },
            };
          };
          const options = (log: string[]) => ({
            deduplicator: new Deduplicator({ maxKeys }),
            invalidKey,
            ...(withStore ? { store: store(log) } : {}),
            persistRetry: { initialDelayMs: 0 },
          });

          const viaBatches = await run(async (handler, log) => {
            const deduped = dedupBatch(handler, options(log));
            deduped.events.on('duplicate', (d) => log.push(`duplicate ${d.key} ${d.offset}`));
            deduped.events.on('invalid-key', (e) => log.push(`invalid ${e.offset} ${e.action}`));
            deduped.events.on('persist-failed', (f) =>
              log.push(`persist-failed ${f.key} ${f.offset} ${f.attempt}`),
            );
            // kafkajs's redelivery: after a failure, the next batch starts at the first unresolved offset.
            let next = 0;
            for (let b = 0; next < messages.length; b++) {
              const size = sizes[b % sizes.length] as number;
              const { payload, resolved } = batchPayload(messages.slice(next, next + size));
              const failed = await deduped(payload).then(
                () => false,
                () => true,
              );
              const expected = messages.slice(next, next + resolved.length).map((m) => m.offset);
              expect(resolved).toEqual(expected);
              if (failed) log.push(`failed ${next + resolved.length}`);
              else expect(resolved).toHaveLength(Math.min(size, messages.length - next));
              next += resolved.length;
            }
            return deduped.stats();
          });
          const oneByOne = await run(async (handler, log) => {
            const reference = referenceDedup<EachMessagePayload>(handler, options(log));
            reference.events.on('duplicate', (d) => log.push(`duplicate ${d.key} ${d.offset}`));
            reference.events.on('invalid-key', (e) => log.push(`invalid ${e.offset} ${e.action}`));
            reference.events.on('persist-failed', (f) =>
              log.push(`persist-failed ${f.key} ${f.offset} ${f.attempt}`),
            );
            for (const m of messages) {
              const p = { topic: 'orders', partition: 0, message: m } as EachMessagePayload;
              const failed = await reference(p).then(
                () => false,
                () => true,
              );
              if (failed) {
                log.push(`failed ${m.offset}`);
                await reference(p);
              }
            }
            return reference.stats();
          });
          expect(viaBatches).toEqual(oneByOne);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('stops when the consumer stops or the partition is sought, leaving the rest unresolved', async () => {
    const handled: string[] = [];
    let stopAfter = 2;
    const deduped = dedupBatch(async ({ message }) => void handled.push(message.offset), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
    });
    const stopping = batchPayload(
      Array.from({ length: 5 }, (_, i) => message(`us-east:${i}`, i)),
      { running: () => handled.length < stopAfter },
    );
    await deduped(stopping.payload);
    expect(handled).toEqual(['0', '1']);
    expect(stopping.resolved).toEqual(['0', '1']);

    stopAfter = Number.POSITIVE_INFINITY;
    const sought = batchPayload(
      Array.from({ length: 5 }, (_, i) => message(`us-east:${i}`, i)),
      { stale: () => handled.length >= 3 },
    );
    await deduped(sought.payload);
    // 0 and 1 are duplicates now, 2 is handled, then the seek stops the batch.
    expect(handled).toEqual(['0', '1', '2']);
    expect(sought.resolved).toEqual(['0', '1', '2']);
  });

  it('stops after the message whose handler paused the partition, and hands back the resume function', async () => {
    let resume: (() => void) | undefined;
    const handled: string[] = [];
    const deduped = dedupBatch(
      async ({ message, pause }) => {
        handled.push(message.offset);
        if (message.offset === '1') resume = pause();
      },
      { deduplicator: new Deduplicator({ maxKeys: 100 }) },
    );
    const { payload, resolved, calls } = batchPayload(
      Array.from({ length: 4 }, (_, i) => message(`us-east:${i}`, i)),
    );
    await deduped(payload);
    expect(handled).toEqual(['0', '1']);
    expect(resolved).toEqual(['0', '1']);
    resume?.();
    expect(calls).toMatchObject({ pauses: 1, resumes: 1 });
  });

  it('fails the message whose keyOf throws, after handling and resolving the ones before it', async () => {
    const handled: string[] = [];
    const deduped = dedupBatch(async ({ message }) => void handled.push(message.offset), {
      deduplicator: new Deduplicator({ maxKeys: 100 }),
      keyOf: ({ message }) => {
        if (message.offset === '70') throw new Error('bad key at 70');
        return message.key?.toString() ?? null;
      },
    });
    // Past the read-ahead window (the key at 70 is read while 0–63 are still to be handled).
    const { payload, resolved } = batchPayload(
      Array.from({ length: 100 }, (_, i) => message(`us-east:${i}`, i)),
    );
    await expect(deduped(payload)).rejects.toThrow('bad key at 70');
    expect(handled).toHaveLength(70);
    expect(resolved).toEqual(Array.from({ length: 70 }, (_, i) => String(i)));
  });

  it('handles a key once when batches of two partitions carry it at the same time', async () => {
    let running = 0;
    let maxRunning = 0;
    const handled: string[] = [];
    const deduped = dedupBatch(
      async ({ topic, message }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        handled.push(`${topic}:${message.key}`);
        running--;
      },
      { deduplicator: new Deduplicator({ maxKeys: 100 }) },
    );
    const local = batchPayload([message('us-east:1', 0), message('us-east:2', 1)], { topic: 'orders' });
    const remote = batchPayload([message('us-east:1', 0), message('us-east:3', 1)], {
      topic: 'us-east.orders',
    });
    await Promise.all([deduped(local.payload), deduped(remote.payload)]);
    expect(handled.sort()).toEqual(['orders:us-east:1', 'orders:us-east:2', 'us-east.orders:us-east:3']);
    // Different keys ran side by side; the copy waited and was a duplicate.
    expect(maxRunning).toBe(2);
    expect(deduped.stats()).toEqual({
      processed: 3,
      duplicates: 1,
      invalidKeys: 0,
      persistFailures: 0,
      unpersistedKeys: 0,
    });
    expect(local.resolved).toEqual(['0', '1']);
    expect(remote.resolved).toEqual(['0', '1']);
  });
});
