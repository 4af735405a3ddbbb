import { createTopicsAndWait } from '@mirrorkit/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type KafkaCluster, startCluster } from './kafka-cluster.js';

// This file owns its cluster because it SIGKILLs it; the shared us-east/us-west stay untouched.
describe('a real broker survives SIGKILL', () => {
  let cluster: KafkaCluster;

  beforeAll(async () => {
    cluster = await startCluster({ alias: 'kill-restart' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps committed records and group offsets across kill -9 and restart', async () => {
    onTestFailed(() => console.error(`broker log tail:\n${cluster.logTail(80)}`));
    const kafka = new Kafka({
      clientId: 'kill-restart',
      brokers: [...cluster.brokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: 'durable', numPartitions: 2 }] });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: 'durable',
      acks: -1,
      messages: Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
    await admin.setOffsets({
      groupId: 'durable-group',
      topic: 'durable',
      partitions: [
        { partition: 0, offset: '7' },
        { partition: 1, offset: '11' },
      ],
    });
    await admin.disconnect();

    console.log(`[testkit] ${cluster.alias} started in ${cluster.startupMs} ms`);
    const pidBefore = cluster.pid;
    await cluster.kill();
    expect(cluster.isRunning()).toBe(false);
    const t0 = Date.now();
    await cluster.restart();
    console.log(
      `[testkit] restart after SIGKILL served requests in ${Date.now() - t0} ms (startupMs=${cluster.startupMs})`,
    );
    expect(cluster.isRunning()).toBe(true);
    expect(cluster.pid).not.toBe(pidBefore);

    const admin2 = kafka.admin();
    await admin2.connect();
    const offsets = await admin2.fetchTopicOffsets('durable');
    const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    expect(total).toBe(500);
    const committed = await admin2.fetchOffsets({ groupId: 'durable-group', topics: ['durable'] });
    const byPartition = Object.fromEntries(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
    expect(byPartition).toEqual({ 0: '7', 1: '11' });
    await admin2.disconnect();
  });
});
