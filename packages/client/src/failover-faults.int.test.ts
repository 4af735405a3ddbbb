import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  encodeCheckpoint,
  MirrorKitError,
} from '@mirrorkit/core';
import { type KafkaCluster, startCluster } from '@mirrorkit/testkit';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import type { FailoverReport } from './client-events.js';
import type { MirrorKitConsumer } from './failover-consumer.js';
import { MirrorKit } from './mirror-kit.js';

// The failover consumer on the bad day, on real brokers. Checkpoints are written with MirrorKit's
// encoder (byte-identical to MM2's, proved elsewhere), so every expected position is known. Each
// test reads what is really on the topics and counts what the consumer skipped.

const policy = new DefaultReplicationPolicy();

async function produce(
  bootstrap: string,
  topic: string,
  partitions: number,
  perPartition: number,
  prefix: string,
) {
  const producer = kafkaFor(bootstrap).producer();
  await producer.connect();
  const messages = [];
  for (let p = 0; p < partitions; p++)
    for (let i = 0; i < perPartition; i++)
      messages.push({ partition: p, key: `${prefix}-${p}-${i}`, value: String(i) });
  await producer.send({ topic, messages });
  await producer.disconnect();
}

async function createTopics(bootstrap: string, topics: { topic: string; numPartitions: number }[]) {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  await createTopicsAndWait(admin, { topics });
  await admin.disconnect();
}

async function writeCheckpoints(
  bootstrap: string,
  home: string,
  checkpoints: { group: string; topic: string; partition: number; upstream: bigint; downstream: bigint }[],
) {
  const producer = kafkaFor(bootstrap).producer();
  await producer.connect();
  await producer.send({
    topic: policy.checkpointsTopic(home),
    messages: checkpoints.map((c) =>
      encodeCheckpoint({
        consumerGroupId: c.group,
        topic: c.topic,
        partition: c.partition,
        upstreamOffset: c.upstream,
        downstreamOffset: c.downstream,
        metadata: '',
      }),
    ),
  });
  await producer.disconnect();
}

// These tests are about the checkpoint and offset-sync paths of the planner, so the consumers
// write no progress records (`progress: false`); exact-failover.int.test.ts covers those.
describe('failover faults (real brokers)', () => {
  let consumer: MirrorKitConsumer | undefined;
  let home: KafkaCluster | undefined;
  afterEach(async () => {
    await consumer?.disconnect();
    consumer = undefined;
    await home?.stop();
    home = undefined;
  });

  it('d: the DR cluster’s own topic, written before the consumer arrives, is read from its beginning, without fromBeginning', async () => {
    const { east, west } = sharedClusters();
    const homeAlias = uniqueName('home');
    const dr = uniqueName('dr');
    const topic = uniqueName('orders');
    const remote = policy.formatRemoteTopic(homeAlias, topic);
    await createTopics(east, [{ topic, numPartitions: 2 }]);
    await createTopics(west, [
      { topic, numPartitions: 2 },
      { topic: remote, numPartitions: 2 },
      { topic: policy.checkpointsTopic(homeAlias), numPartitions: 1 },
    ]);
    const groupId = uniqueName('billing');
    // What a failed-over producer wrote to the DR cluster's own topic before the consumer moved.
    await produce(west, topic, 2, 100, 'dr-own');
    await produce(west, remote, 2, 10, 'replica');
    await writeCheckpoints(west, homeAlias, [
      { group: groupId, topic: remote, partition: 0, upstream: 10n, downstream: 10n },
      { group: groupId, topic: remote, partition: 1, upstream: 10n, downstream: 10n },
    ]);
    const mk = new MirrorKit({
      clusters: { [homeAlias]: { brokers: [east] }, [dr]: { brokers: [west] } },
      activeCluster: homeAlias,
      logLevel: logLevel.NOTHING,
    });
    consumer = mk.consumer({ progress: false, groupId, metadataRefreshMs: 500 });
    const seen = new Set<string>();
    await consumer.subscribe({ topics: [topic] }); // the README's own example: no fromBeginning
    await consumer.run({
      eachMessage: async ({ message, cluster }) => void seen.add(`${cluster}|${message.key}`),
    });
    const report = await consumer.failover(dr);
    expect(
      report.positions.filter((p) => p.topic === topic).map((p) => [p.partition, p.offset, p.basis]),
    ).toEqual([
      [0, 0n, 'earliest'],
      [1, 0n, 'earliest'],
    ]);
    await eventually('every record of the DR cluster’s own topic processed', async () =>
      [...seen].filter((k) => k.startsWith(`${dr}|dr-own-`)).length === 200 ? true : undefined,
    );
    const skipped = Array.from(
      { length: 200 },
      (_, i) => `${dr}|dr-own-${i % 2}-${Math.floor(i / 2)}`,
    ).filter((k) => !seen.has(k));
    expect(skipped).toEqual([]);
  });

  it('e: a checkpoint below the log start is clamped and the loss reported; one past the end is refused; nothing that exists is skipped', async () => {
    const { east, west } = sharedClusters();
    const homeAlias = uniqueName('home');
    const dr = uniqueName('dr');
    const topic = uniqueName('orders');
    const remote = policy.formatRemoteTopic(homeAlias, topic);
    await createTopics(east, [{ topic, numPartitions: 2 }]);
    await createTopics(west, [
      { topic: remote, numPartitions: 2 },
      { topic: policy.checkpointsTopic(homeAlias), numPartitions: 1 },
    ]);
    await produce(west, remote, 2, 50, 'replica');
    const groupId = uniqueName('billing');
    await writeCheckpoints(west, homeAlias, [
      { group: groupId, topic: remote, partition: 0, upstream: 20n, downstream: 20n },
      // The remote topic was recreated since: this checkpoint points past its end.
      { group: groupId, topic: remote, partition: 1, upstream: 500n, downstream: 500n },
    ]);
    // Retention took partition 0's first 30 records.
    const admin = kafkaFor(west).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [remote] }); // kafkajs needs the leaders first
    await admin.deleteTopicRecords({ topic: remote, partitions: [{ partition: 0, offset: '30' }] });
    await admin.disconnect();
    const mk = new MirrorKit({
      clusters: { [homeAlias]: { brokers: [east] }, [dr]: { brokers: [west] } },
      activeCluster: homeAlias,
      logLevel: logLevel.NOTHING,
    });
    consumer = mk.consumer({ progress: false, groupId, metadataRefreshMs: 500 });
    const seen: string[] = [];
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      eachMessage: async ({ message, cluster }) => void seen.push(`${cluster}|${message.key}`),
    });
    const report = await consumer.failover(dr);
    expect(report.positions.map((p) => [p.partition, p.offset, p.basis])).toEqual([
      [0, 30n, 'checkpoint'],
      [1, 0n, 'earliest'],
    ]);
    expect(report.problems.map((p) => [p.partition, p.kind, p.lostRecords])).toEqual([
      [0, 'below-log-start', 10n],
      [1, 'above-high-watermark', 0n],
    ]);
    expect(report.lostRecords).toBe(10n);
    // Everything that still exists from the positions on is processed: 20 + 50.
    await eventually('records consumed on the DR cluster', async () =>
      seen.filter((k) => k.startsWith(`${dr}|`)).length >= 70 ? true : undefined,
    );
    const onDr = new Set(seen.filter((k) => k.startsWith(`${dr}|`)).map((k) => k.split('|')[1]));
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => `replica-0-${30 + i}`),
      ...Array.from({ length: 50 }, (_, i) => `replica-1-${i}`),
    ];
    expect(expected.filter((k) => !onDr.has(k))).toEqual([]);
  });

  it('c: a failover to a target with no checkpoints topic yet never leaves a dead consumer: back home while it answers; retried while it does not, done once checkpoints appear', async () => {
    const { west } = sharedClusters();
    home = await startCluster({ alias: 'faults-home' });
    const homeAlias = uniqueName('home');
    const dr = uniqueName('dr');
    const topic = uniqueName('orders');
    const remote = policy.formatRemoteTopic(homeAlias, topic);
    await createTopics(home.bootstrapServers, [{ topic, numPartitions: 1 }]);
    await createTopics(west, [{ topic: remote, numPartitions: 1 }]);
    await produce(home.bootstrapServers, topic, 1, 10, 'home-a');
    await produce(west, remote, 1, 10, 'replica');
    const groupId = uniqueName('billing');
    const mk = new MirrorKit({
      clusters: { [homeAlias]: { brokers: [home.bootstrapServers] }, [dr]: { brokers: [west] } },
      activeCluster: homeAlias,
      logLevel: logLevel.NOTHING,
    });
    consumer = mk.consumer({
      progress: false,
      groupId,
      metadataRefreshMs: 500,
      checkpointTimeoutMs: 3000,
      stopTimeoutMs: 1000,
    });
    const seen = new Set<string>();
    const failed: { resumedOn: string | null; attempt: number }[] = [];
    const retries: number[] = [];
    consumer.on('failover:failed', (info) =>
      failed.push({ resumedOn: info.resumedOn, attempt: info.attempt }),
    );
    consumer.on('failover:retry', (info) => retries.push(info.delayMs));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, cluster }) => void seen.add(`${cluster}|${message.key}`),
    });
    await eventually('home records consumed', async () => (seen.size === 10 ? true : undefined));

    // 1. Home answers: the failed switch goes back to reading it.
    const error = await consumer.failover(dr).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MirrorKitError);
    expect((error as MirrorKitError).code).toBe('CLIENT_FAILOVER_FAILED');
    expect((error as Error).message).toMatch(/has no .*checkpoints\.internal/);
    expect(failed).toEqual([{ resumedOn: homeAlias, attempt: 1 }]);
    expect(consumer.activeCluster).toBe(homeAlias);
    await produce(home.bootstrapServers, topic, 1, 10, 'home-b');
    await eventually('it reads home again', async () =>
      [...seen].filter((k) => k.startsWith(`${homeAlias}|home-b`)).length === 10 ? true : undefined,
    );

    // 2. Home dies: the switch fails, nothing answers, and it is retried with backoff…
    await home.kill();
    const second = consumer.failover(dr).catch((e: unknown) => e);
    expect(await second).toBeInstanceOf(MirrorKitError);
    await eventually('a retry is scheduled', async () => (retries.length > 0 ? true : undefined));
    expect(failed.at(-1)?.resumedOn).toBeNull();
    // …until the checkpoints appear, then it completes and resumes on the DR cluster.
    const complete = new Promise<FailoverReport>((resolve) => consumer?.once('failover:complete', resolve));
    await createTopics(west, [{ topic: policy.checkpointsTopic(homeAlias), numPartitions: 1 }]);
    await writeCheckpoints(west, homeAlias, [
      { group: groupId, topic: remote, partition: 0, upstream: 4n, downstream: 4n },
    ]);
    const report = await complete;
    expect(report.positions.map((p) => [p.topic, p.offset, p.basis])).toEqual([[remote, 4n, 'checkpoint']]);
    expect(consumer.activeCluster).toBe(dr);
    await eventually('replica records from the checkpoint on consumed', async () =>
      [...seen].filter((k) => k.startsWith(`${dr}|`)).length === 6 ? true : undefined,
    );
  }, 180_000);
});
