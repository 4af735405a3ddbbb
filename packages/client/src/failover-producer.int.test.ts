import { createTopicsAndWait } from '@mirrorkit/core';
import { type KafkaCluster, startClusters } from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually } from '../../../test/kafka-context.js';
import { MirrorKitClientError } from './client-error.js';
import { MirrorKit } from './mirror-kit.js';

async function keysIn(bootstrap: string, topic: string): Promise<string[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const { readTopicToEnd } = await import('@mirrorkit/core');
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(topic);
  await admin.disconnect();
  if (!exists) return [];
  return (await readTopicToEnd(kafka, topic)).map((r) => r.key?.toString() ?? '');
}

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
    for (const cluster of clusters) {
      const admin = new Kafka({ brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await createTopicsAndWait(admin, { topics: [{ topic: 'orders', numPartitions: 2 }] });
      await admin.disconnect();
    }
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
    // Every acknowledged record is durable somewhere: on us-east (after it comes back; acks=-1) or
    // on us-west (logical topic name after failover).
    await east.restart();
    const onEast = new Set(await keysIn(east.bootstrapServers, 'orders'));
    const onWest = new Set(await keysIn(west.bootstrapServers, 'orders'));
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
