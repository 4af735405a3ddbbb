import { createTopicsAndWait } from '@mirrorkit/core';
import { type KafkaCluster, startCluster } from '@mirrorkit/testkit';
import { type Consumer, type EachMessagePayload, Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import { KafkaSeenKeyStore } from '../seen-keys/seen-key-store.js';
import { dedupBatch } from './dedup-batch-handler.js';
import type { DedupHandlerStats } from './dedup-handler.js';
import { dedup } from './dedup-handler.js';
import { Deduplicator } from './deduplicator.js';

const RECORDS = 20;
const keyOf = (i: number) => `us-east:evt-${i}`;

// The seen-key store lives on a cluster of its own, killed (SIGKILL, as if its host died) and
// restarted under a running consumer, whose own cluster (the shared us-east) stays up: the
// store's writes really fail, on a real broker, while the consumer could commit.
describe('dedup() and dedupBatch() when the seen-key store broker dies', () => {
  let storeCluster: KafkaCluster;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    storeCluster = await startCluster({ alias: 'seen-store' });
  }, 180_000);
  afterAll(async () => {
    await storeCluster?.stop();
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    if (!storeCluster.isRunning()) await storeCluster.restart();
  });

  for (const wrapper of ['dedup', 'dedupBatch'] as const) {
    it(`${wrapper}(): each key handled once, its offset not committed while its key is unpersisted, through a store outage, a consumer stop and a restart`, async () => {
      onTestFailed(() => console.error(`---- seen-store broker log ----\n${storeCluster.logTail(40)}`));
      const { east } = sharedClusters();
      const kafka = kafkaFor(east);
      const topic = uniqueName('orders');
      const groupId = uniqueName('billing');
      const admin = kafka.admin();
      await admin.connect();
      cleanup.push(() => admin.disconnect());
      await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: RECORDS }, (_, i) => ({ key: keyOf(i), value: String(i) })),
      });
      await producer.disconnect();
      const committed = async (): Promise<string | undefined> =>
        (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset;

      // Few, short client retries: each failed write surfaces in about a second, not 30.
      const storeKafka = new Kafka({
        clientId: 'seen-store',
        brokers: [storeCluster.bootstrapServers],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 3000,
        retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
      });
      const storeTopic = `${groupId}.mirrorkit-seen`;
      const store = new KafkaSeenKeyStore(storeKafka, { topic: storeTopic });
      const seen = new Deduplicator({ maxKeys: 1000 });
      await store.open(seen);
      cleanup.push(() => store.close());

      const calls = new Map<string, number>();
      const failures: { key: string; offset: string }[] = [];
      const errors: unknown[] = [];
      // The application's side effect; at evt-5 and evt-12 (first time only) the store's broker
      // dies right after it, so that key's write fails.
      const killAfter = new Set([keyOf(5), keyOf(12)]);
      // The store's client can reach a restarting broker before the testkit's own readiness probe
      // does, so evt-12 may come while restart() is still waiting: killing then would make that
      // restart fail. The second kill waits for the restart to have finished.
      let restarting: Promise<void> = Promise.resolve();
      const handle = async ({ message }: EachMessagePayload) => {
        const key = message.key?.toString() ?? '';
        calls.set(key, (calls.get(key) ?? 0) + 1);
        if (killAfter.delete(key)) {
          await restarting;
          await storeCluster.kill();
        }
      };

      // What kafkajs gets back from the wrapper when it fails.
      const recording =
        <A>(run: (payload: A) => Promise<void>) =>
        async (payload: A): Promise<void> => {
          try {
            await run(payload);
          } catch (error) {
            errors.push(error);
            throw error;
          }
        };
      let stats: () => DedupHandlerStats = () => {
        throw new Error('not started');
      };
      const start = async (stopping: AbortSignal): Promise<Consumer> => {
        const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, retry: { retries: 2 } });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        const options = {
          deduplicator: seen,
          store,
          signal: stopping,
          persistRetry: { initialDelayMs: 100, maxDelayMs: 1000 },
        };
        // Commit after every record, so that committing past an unpersisted key would show.
        if (wrapper === 'dedup') {
          const handler = dedup(handle, options);
          handler.events.on('persist-failed', (f) => void failures.push(f));
          stats = handler.stats;
          await consumer.run({
            autoCommitThreshold: 1,
            eachMessage: recording(handler),
          });
        } else {
          const handler = dedupBatch(handle, options);
          handler.events.on('persist-failed', (f) => void failures.push(f));
          stats = handler.stats;
          await consumer.run({
            autoCommitThreshold: 1,
            eachBatchAutoResolve: false,
            eachBatch: recording(handler),
          });
        }
        return consumer;
      };
      const failedWrites = (key: string, n: number) =>
        eventually(`${n} failed writes of ${key}`, async () =>
          failures.filter((f) => f.key === key).length >= n ? true : undefined,
        );

      // 1. The store dies after evt-5's handler: its write is retried, evt-5 is not committed.
      let stopping = new AbortController();
      let consumer = await start(stopping.signal);
      await failedWrites(keyOf(5), 3);
      expect(await committed()).toBe('5');
      expect(stats().unpersistedKeys).toBe(1);
      expect(calls.get(keyOf(5))).toBe(1);

      // 2. It comes back while the consumer runs: evt-5 is written, not handled again, and the
      // consumer goes on — until the store dies again after evt-12.
      restarting = storeCluster.restart();
      await restarting;
      await failedWrites(keyOf(12), 3);
      expect(await committed()).toBe('12');
      expect([...calls.values()].every((n) => n === 1)).toBe(true);

      // 3. The consumer stops while the store is still down (dedup(): through the signal;
      // dedupBatch() also sees isRunning() turn false): evt-12 fails, uncommitted.
      if (wrapper === 'dedup') stopping.abort();
      await consumer.disconnect();
      expect(errors.at(-1)).toMatchObject({ code: 'DEDUP_KEY_NOT_PERSISTED', key: keyOf(12) });
      expect(await committed()).toBe('12');
      expect(stats().unpersistedKeys).toBe(1);

      // 4. The store comes back; a new consumer and handler in this process, over the same
      // seen-set: evt-12 comes again, is written and not handed to the handler.
      await storeCluster.restart();
      stopping = new AbortController();
      consumer = await start(stopping.signal);
      cleanup.push(() => consumer.disconnect());
      await eventually('every record committed', async () =>
        (await committed()) === String(RECORDS) ? true : undefined,
      );
      expect(Object.fromEntries(calls)).toEqual(
        Object.fromEntries(Array.from({ length: RECORDS }, (_, i) => [keyOf(i), 1])),
      );
      expect(stats()).toMatchObject({ duplicates: 1, unpersistedKeys: 0 });

      // Every key is in the store: a restarted process would recognise all of them.
      const restoredInto = new Deduplicator({ maxKeys: 1000 });
      const reader = new KafkaSeenKeyStore(kafkaFor(storeCluster.bootstrapServers), { topic: storeTopic });
      expect((await reader.open(restoredInto)).restored).toBe(RECORDS);
      await reader.close();
      for (let i = 0; i < RECORDS; i++) expect(restoredInto.has(keyOf(i))).toBe(true);
    }, 240_000);
  }
});
