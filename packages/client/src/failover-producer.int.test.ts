import { createTopicsAndWait, type ReadRecord, readTopicToEnd } from '@mirrorkit/core';
import { type KafkaCluster, startCluster, startClusters } from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { MirrorKitClientError } from './client-error.js';
import type { MirrorKitProducer } from './failover-producer.js';
import { MirrorKit } from './mirror-kit.js';

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Everything `topic` holds on a cluster, in offset order per partition; nothing when it is absent. */
async function recordsIn(bootstrap: string, topic: string): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(topic);
  await admin.disconnect();
  if (!exists) return [];
  return readTopicToEnd(kafka, topic);
}

async function keysIn(bootstrap: string, topic: string): Promise<string[]> {
  return (await recordsIn(bootstrap, topic)).map((r) => r.key?.toString() ?? '');
}

/** Per key, the values `topic` holds on a cluster in log order: the ground truth for ordering. */
async function valuesByKey(bootstrap: string, topic: string): Promise<Map<string, string[]>> {
  const byKey = new Map<string, string[]>();
  for (const record of await recordsIn(bootstrap, topic)) {
    const key = record.key?.toString() ?? '';
    const values = byKey.get(key) ?? [];
    values.push(record.value?.toString() ?? '');
    byKey.set(key, values);
  }
  return byKey;
}

async function createTopic(bootstrap: string, topic: string, numPartitions: number): Promise<void> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions }] });
  } finally {
    await admin.disconnect();
  }
}

interface OrderAudit {
  sent: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** A few of the faults, so a failing run says what it saw. */
  examples: string[];
}

/**
 * Compares, per key, what landed on a cluster with the order the sends were made in: a value
 * missing is lost, one seen twice duplicated, one that landed after a value sent later reordered.
 * Values of other senders are ignored.
 */
function auditOrder(
  sent: ReadonlyMap<string, readonly string[]>,
  landed: ReadonlyMap<string, readonly string[]>,
): OrderAudit {
  const audit: OrderAudit = { sent: 0, lost: 0, duplicated: 0, reordered: 0, examples: [] };
  const example = (text: string): void => {
    if (audit.examples.length < 8) audit.examples.push(text);
  };
  for (const [key, values] of sent) {
    audit.sent += values.length;
    const position = new Map(values.map((value, index) => [value, index]));
    const seen = new Set<string>();
    let latest = -1;
    for (const value of landed.get(key) ?? []) {
      const index = position.get(value);
      if (index === undefined) continue;
      if (seen.has(value)) {
        audit.duplicated++;
        example(`${key}: ${value} twice`);
        continue;
      }
      seen.add(value);
      if (index < latest) {
        audit.reordered++;
        example(`${key}: ${value} after ${values[latest]}`);
      }
      latest = Math.max(latest, index);
    }
    for (const value of values) {
      if (!seen.has(value)) {
        audit.lost++;
        example(`${key}: ${value} missing`);
      }
    }
  }
  return audit;
}

/**
 * One-record sends over a few keys, each value numbered in send order. Sends are not awaited, so
 * they overlap as an application's do; `order` keeps, per key, the order of the `send` calls.
 */
class KeyedSends {
  readonly order = new Map<string, string[]>();
  readonly failed: string[] = [];
  #pending: Promise<void>[] = [];
  #count = 0;
  readonly #producer: MirrorKitProducer;
  readonly #topic: string;
  readonly #keys: readonly string[];
  readonly #tag: string;

  constructor(producer: MirrorKitProducer, topic: string, keys: readonly string[], tag: string) {
    this.#producer = producer;
    this.#topic = topic;
    this.#keys = keys;
    this.#tag = tag;
  }

  get count(): number {
    return this.#count;
  }

  send(): void {
    const key = this.#keys[this.#count % this.#keys.length] as string;
    const value = `${this.#tag}-${this.#count++}`;
    const values = this.order.get(key) ?? [];
    values.push(value);
    this.order.set(key, values);
    this.#pending.push(
      this.#producer
        .send({ topic: this.#topic, acks: -1, messages: [{ key, value }] })
        .then(() => undefined)
        .catch((error: unknown) => {
          this.failed.push(`${value}: ${error instanceof Error ? error.message : String(error)}`);
        }),
    );
  }

  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }
}

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
const NO_FAULTS = { lost: 0, duplicated: 0, reordered: 0, examples: [] };

describe('MirrorKitProducer when the active cluster dies', () => {
  let clusters: KafkaCluster[] = [];
  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  });

  it('loses no acknowledged record: sends during the outage go to the DR cluster', async () => {
    clusters = await startClusters(['us-east', 'us-west'], {
      brokerProperties: { 'auto.create.topics.enable': 'false' },
    });
    const [east, west] = clusters as [KafkaCluster, KafkaCluster];
    onTestFailed(() => console.error(`${east.logTail(20)}\n${west.logTail(20)}`));
    for (const cluster of clusters) await createTopic(cluster.bootstrapServers, 'orders', 2);
    const mk = new MirrorKit({
      clusters: {
        'us-east': { brokers: [east.bootstrapServers] },
        'us-west': { brokers: [west.bootstrapServers] },
      },
      activeCluster: 'us-east',
      logLevel: logLevel.NOTHING,
    });
    const producer = mk.producer({
      automaticFailover: true,
      // No MM2 here, so no heartbeats for the guard to weigh: this test is about the queue.
      splitBrainGuard: false,
      health: {
        intervalMs: 300,
        probeTimeoutMs: 800,
        failureThreshold: 3,
        minFailureDurationMs: 900,
        heartbeatIntervalMs: 0,
      },
      sendTimeoutMs: 60_000,
      kafkajs: { retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } },
    });
    const switched: string[] = [];
    producer.on('failover:complete', (info) => switched.push(`${info.from}->${info.to}`));
    await producer.connect();

    const acked: string[] = [];
    const failed: string[] = [];
    let n = 0;
    const sendBatch = async (): Promise<void> => {
      const keys = Array.from({ length: 20 }, () => `us-east:order-${n++}`);
      try {
        await producer.send({
          topic: 'orders',
          acks: -1,
          messages: keys.map((key) => ({ key, value: key })),
        });
        acked.push(...keys);
      } catch (error) {
        failed.push(`${keys[0]}: ${(error as Error).message}`);
      }
    };
    for (let i = 0; i < 25; i++) await sendBatch();
    // Kill mid-stream while sends keep coming, some of them in flight.
    const inFlight = Array.from({ length: 5 }, () => sendBatch());
    await east.kill();
    for (let i = 0; i < 25; i++) inFlight.push(sendBatch());
    await Promise.all(inFlight);
    await eventually('producer on us-west', async () =>
      producer.activeCluster === 'us-west' ? true : undefined,
    );
    for (let i = 0; i < 10; i++) await sendBatch();
    await producer.disconnect();

    expect(failed).toEqual([]);
    expect(switched).toEqual(['us-east->us-west']);
    expect(acked.length).toBe(n);
    // On us-west every partition holds its records in send order: sends in flight on us-east when it
    // died keep their place ahead of the sends made after them.
    const onWestRecords = await recordsIn(west.bootstrapServers, 'orders');
    const numberOf = (r: ReadRecord): number => Number((r.key?.toString() ?? '').split('-').pop());
    const outOfOrder: string[] = [];
    const latest = new Map<number, number>();
    for (const record of onWestRecords) {
      const number = numberOf(record);
      const before = latest.get(record.partition) ?? -1;
      if (number < before) outOfOrder.push(`p${record.partition}: order-${number} after order-${before}`);
      latest.set(record.partition, Math.max(before, number));
    }
    expect(outOfOrder.slice(0, 8)).toEqual([]);
    const westKeys = onWestRecords.map((r) => r.key?.toString() ?? '');
    expect(westKeys.length - new Set(westKeys).size).toBe(0);
    // Every acknowledged record is durable somewhere: on us-east (after it comes back; acks=-1) or
    // on us-west (logical topic name after failover).
    await east.restart();
    const onEast = new Set(await keysIn(east.bootstrapServers, 'orders'));
    const onWest = new Set(westKeys);
    const missing = acked.filter((key) => !onEast.has(key) && !onWest.has(key));
    expect(missing).toEqual([]);
    expect(onWest.size).toBeGreaterThan(0);
    console.log(
      `[producer failover] acked ${acked.length}; on us-east ${onEast.size}, on us-west ${onWest.size}`,
    );
  }, 180_000);

  it('rejects with a typed error when the wait queue is full', async () => {
    const mk = new MirrorKit({
      clusters: { a: { brokers: ['127.0.0.1:1'] }, b: { brokers: ['127.0.0.1:2'] } },
      activeCluster: 'a',
      logLevel: logLevel.NOTHING,
    });
    // Never connected: every send waits for a cluster, so the bound is what answers.
    const producer = mk.producer({ maxQueued: 3, sendTimeoutMs: 200 });
    const waiting = producer.send({ topic: 't', messages: [{ value: '1' }, { value: '2' }] });
    const overflow = await producer
      .send({ topic: 't', messages: [{ value: '3' }, { value: '4' }] })
      .catch((e: unknown) => e);
    expect(overflow).toBeInstanceOf(MirrorKitClientError);
    expect((overflow as MirrorKitClientError).code).toBe('CLIENT_SEND_QUEUE_FULL');
    await expect(waiting).rejects.toMatchObject({ code: 'CLIENT_SEND_TIMEOUT' });
  });
});

describe('MirrorKitProducer keeps per-key order across a failover', () => {
  it('delivers the queue before sends made while it is delivered, per key in send order, on the target', async () => {
    const { east, west } = sharedClusters();
    const topic = uniqueName('producer-order');
    await createTopic(east, topic, 3);
    await createTopic(west, topic, 3);
    const mk = new MirrorKit({
      clusters: { 'us-east': { brokers: [east] }, 'us-west': { brokers: [west] } },
      activeCluster: 'us-east',
      logLevel: logLevel.NOTHING,
    });
    const producer = mk.producer({ sendTimeoutMs: 60_000 });
    let completed: { flushed: number; durationMs: number } | undefined;
    producer.on('failover:complete', (info) => {
      completed = info;
    });
    await producer.connect();
    const onEast = new KeyedSends(producer, topic, KEYS, 'east');
    for (let i = 0; i < 60; i++) onEast.send();
    await onEast.settled();

    const onWest = new KeyedSends(producer, topic, KEYS, 'west');
    const switching = producer.failover('us-west');
    // Queued while the producer connects to us-west.
    const queuedAtStart = 300;
    for (let i = 0; i < queuedAtStart; i++) onWest.send();
    expect(producer.queued).toBe(queuedAtStart);
    // Once delivery of the queue has begun, keep sending while it goes on.
    while (producer.queued >= queuedAtStart && completed === undefined) await sleep(1);
    let duringFlush = 0;
    while (completed === undefined && duringFlush < 400) {
      onWest.send();
      duringFlush++;
      await sleep(2);
    }
    await switching;
    for (let i = 0; i < 100; i++) {
      onWest.send();
      if (i % 10 === 0) await sleep(1);
    }
    await onWest.settled();
    await producer.disconnect();

    expect(onEast.failed).toEqual([]);
    expect(onWest.failed).toEqual([]);
    expect(duringFlush).toBeGreaterThan(10);
    const westAudit = auditOrder(onWest.order, await valuesByKey(west, topic));
    console.log(
      `[producer order] ${westAudit.sent} sent after the failover began (${duringFlush} while the queue was ` +
        `delivered), flushed ${completed?.flushed} in ${completed?.durationMs} ms; on us-west ${JSON.stringify(westAudit)}`,
    );
    expect(westAudit).toMatchObject({ ...NO_FAULTS, sent: onWest.count });
    // A record is sent once: none of the later sends went to us-east, and all of the earlier are there.
    const eastValues = await valuesByKey(east, topic);
    expect(auditOrder(onEast.order, eastValues)).toMatchObject({ ...NO_FAULTS, sent: onEast.count });
    expect(auditOrder(onWest.order, eastValues).lost).toBe(onWest.count);
  });
});

describe('MirrorKitProducer when the failover target is down at first', () => {
  let target: KafkaCluster | undefined;
  afterAll(async () => {
    await target?.stop();
  });

  it('retries the switch with backoff and, once the target is back, delivers every queued record in order', async () => {
    const { east } = sharedClusters();
    target = await startCluster({ alias: 'dr-west' });
    const dr = target;
    onTestFailed(() => console.error(dr.logTail(30)));
    const topic = uniqueName('producer-retry');
    await createTopic(east, topic, 3);
    await createTopic(dr.bootstrapServers, topic, 3);
    await dr.kill();

    const mk = new MirrorKit({
      clusters: {
        'us-east': { brokers: [east] },
        // Fail each connect attempt fast, so the test sees several before the target is back.
        'us-west': { brokers: [dr.bootstrapServers], connectionTimeout: 500, retry: { retries: 1 } },
      },
      activeCluster: 'us-east',
      logLevel: logLevel.NOTHING,
    });
    const producer = mk.producer({
      sendTimeoutMs: 120_000,
      failoverRetry: { initialDelayMs: 200, maxDelayMs: 1000, attemptTimeoutMs: 3000 },
    });
    const failures: { attempt: number; error: string; from: string; to: string }[] = [];
    const retries: { attempt: number; delayMs: number }[] = [];
    const completes: { flushed: number; durationMs: number }[] = [];
    producer.on('failover:failed', (info) =>
      failures.push({ attempt: info.attempt, error: info.error.message, from: info.from, to: info.to }),
    );
    producer.on('failover:retry', (info) => retries.push({ attempt: info.attempt, delayMs: info.delayMs }));
    producer.on('failover:complete', (info) => completes.push(info));
    await producer.connect();
    const onEast = new KeyedSends(producer, topic, KEYS, 'east');
    for (let i = 0; i < 30; i++) onEast.send();
    await onEast.settled();

    const onWest = new KeyedSends(producer, topic, KEYS, 'west');
    const switching = producer.failover('us-west');
    const switched = switching.then(
      () => 'done',
      (error: unknown) => `failed: ${String(error)}`,
    );
    for (let i = 0; i < 50; i++) onWest.send();
    await eventually('two failed attempts to reach us-west', async () =>
      failures.length >= 2 ? true : undefined,
    );
    // The truth while the target is down: sends are bound for us-west, wait there, and are kept.
    expect(producer.activeCluster).toBe('us-west');
    expect(producer.switching).toMatchObject({ from: 'us-east', to: 'us-west', phase: 'connecting' });
    expect(producer.queued).toBe(50);

    let restarted = false;
    const restarting = dr.restart().then(() => {
      restarted = true;
    });
    while (!restarted && onWest.count < 400) {
      onWest.send();
      await sleep(20);
    }
    await restarting;
    while (completes.length === 0 && onWest.count < 600) {
      onWest.send();
      await sleep(5);
    }
    expect(await switched).toBe('done');
    for (let i = 0; i < 30; i++) onWest.send();
    await onWest.settled();
    await producer.disconnect();

    expect(onWest.failed).toEqual([]);
    const audit = auditOrder(onWest.order, await valuesByKey(dr.bootstrapServers, topic));
    console.log(
      `[producer retry] ${failures.length} failed attempts, then ${JSON.stringify(completes)}; on the target ${JSON.stringify(audit)}`,
    );
    expect(audit).toMatchObject({ ...NO_FAULTS, sent: onWest.count });
    expect(failures.map((f) => f.attempt)).toEqual(failures.map((_, i) => i + 1));
    expect(failures.every((f) => f.from === 'us-east' && f.to === 'us-west' && f.error.length > 0)).toBe(
      true,
    );
    expect(retries.map((r) => r.attempt)).toEqual(failures.map((f) => f.attempt + 1));
    expect(retries.every((r) => r.delayMs > 0 && r.delayMs <= 1000)).toBe(true);
    expect(completes).toHaveLength(1);
    expect(completes[0]?.flushed).toBeGreaterThanOrEqual(50);
    expect(producer.switching).toBeNull();
  }, 180_000);
});
