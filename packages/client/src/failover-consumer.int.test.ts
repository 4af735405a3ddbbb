import { createTopicsAndWait, DefaultReplicationPolicy, encodeCheckpoint } from '@mirrorkit/core';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { MirrorKitClientError } from './client-error.js';
import type { MirrorKitConsumer } from './failover-consumer.js';
import { MirrorKit } from './mirror-kit.js';

// These tests run on the shared clusters without MirrorMaker: aliases unique to each test, and
// checkpoints written with MirrorKit's own encoder (proved byte-identical to MM2's elsewhere), so
// every translated offset is known in advance.
// These tests are about the checkpoint and offset-sync paths of the planner, so the consumers
// write no progress records (`progress: false`); exact-failover.int.test.ts covers those.
describe('MirrorKitConsumer on real brokers', () => {
  let consumer: MirrorKitConsumer | undefined;
  afterEach(async () => {
    await consumer?.disconnect();
    consumer = undefined;
  });

  async function setup(partitions: number) {
    const { east, west } = sharedClusters();
    const home = uniqueName('alpha');
    const dr = uniqueName('beta');
    const topic = uniqueName('orders');
    const policy = new DefaultReplicationPolicy();
    const remote = policy.formatRemoteTopic(home, topic);
    const eastAdmin = kafkaFor(east).admin();
    const westAdmin = kafkaFor(west).admin();
    await Promise.all([eastAdmin.connect(), westAdmin.connect()]);
    await createTopicsAndWait(eastAdmin, { topics: [{ topic, numPartitions: partitions }] });
    await createTopicsAndWait(westAdmin, {
      topics: [
        { topic: remote, numPartitions: partitions },
        { topic: policy.checkpointsTopic(home), numPartitions: 1 },
      ],
    });
    await Promise.all([eastAdmin.disconnect(), westAdmin.disconnect()]);
    const mk = new MirrorKit({
      clusters: { [home]: { brokers: [east] }, [dr]: { brokers: [west] } },
      activeCluster: home,
      logLevel: logLevel.NOTHING,
    });
    return { east, west, home, dr, topic, remote, policy, mk };
  }

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
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++)
        messages.push({ partition: p, key: `${prefix}-${p}-${i}`, value: String(i) });
    }
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
  }

  it('fails over through checkpoints: commits exactly the checkpointed offsets and applies the no-checkpoint rule', async () => {
    const s = await setup(3);
    await produce(s.west, s.remote, 3, 50, 'replica');
    const groupId = uniqueName('group');
    const producer = kafkaFor(s.west).producer();
    await producer.connect();
    await producer.send({
      topic: s.policy.checkpointsTopic(s.home),
      messages: [
        encodeCheckpoint({
          consumerGroupId: groupId,
          topic: s.remote,
          partition: 0,
          upstreamOffset: 12n,
          downstreamOffset: 10n,
          metadata: '',
        }),
        encodeCheckpoint({
          consumerGroupId: groupId,
          topic: s.remote,
          partition: 1,
          upstreamOffset: 40n,
          downstreamOffset: 40n,
          metadata: '',
        }),
        encodeCheckpoint({
          consumerGroupId: groupId,
          topic: s.remote,
          partition: 0,
          upstreamOffset: 22n,
          downstreamOffset: 20n,
          metadata: '',
        }),
        encodeCheckpoint({
          consumerGroupId: 'someone-else',
          topic: s.remote,
          partition: 2,
          upstreamOffset: 1n,
          downstreamOffset: 1n,
          metadata: '',
        }),
        { key: Buffer.from('garbage'), value: Buffer.from([1, 2, 3]) },
      ],
    });
    await producer.disconnect();

    consumer = s.mk.consumer({ progress: false, groupId, noCheckpoint: 'earliest', metadataRefreshMs: 500 });
    const seen: string[] = [];
    await consumer.subscribe({ topics: [s.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, cluster }) => void seen.push(`${cluster}|${message.key?.toString()}`),
    });
    const translated = new Promise((resolve) => consumer?.once('offsets:translated', resolve));
    const report = await consumer.failover(s.dr);
    await translated;

    expect(report.kind).toBe('failover');
    expect(report.committed).toBe(true);
    expect(report.skippedCheckpointRecords).toBe(1);
    expect(report.positions.map((p) => [p.topic, p.partition, p.offset, p.basis])).toEqual([
      [s.remote, 0, 20n, 'checkpoint'],
      [s.remote, 1, 40n, 'checkpoint'],
      [s.remote, 2, 0n, 'earliest'],
    ]);
    expect(report.partitionsWithoutCheckpoint).toBe(1);
    // It resumes exactly there: 30 + 10 + 50 records of the replica, none before the checkpoints.
    await eventually('replica records consumed on the DR cluster', async () =>
      seen.filter((k) => k.startsWith(`${s.dr}|`)).length >= 90 ? true : undefined,
    );
    const onDr = seen.filter((k) => k.startsWith(`${s.dr}|`)).map((k) => k.split('|')[1]);
    expect(onDr).toHaveLength(90);
    expect(onDr).toContain('replica-0-20');
    expect(onDr).not.toContain('replica-0-19');
    expect(onDr).toContain('replica-1-40');
    expect(onDr).not.toContain('replica-1-39');
    expect(onDr).toContain('replica-2-0');
    expect(consumer.activeCluster).toBe(s.dr);
  });

  it("with noCheckpoint 'latest' starts uncovered partitions at their end", async () => {
    const s = await setup(2);
    await produce(s.west, s.remote, 2, 5, 'replica');
    consumer = s.mk.consumer({ progress: false, groupId: uniqueName('group'), noCheckpoint: 'latest' });
    await consumer.subscribe({ topics: [s.topic] });
    await consumer.run({ eachMessage: async () => undefined });
    const report = await consumer.failover(s.dr);
    expect(report.positions.map((p) => [p.partition, p.offset, p.basis])).toEqual([
      [0, 5n, 'latest'],
      [1, 5n, 'latest'],
    ]);
  });

  it('refuses failback when no reverse flow writes checkpoints, and failover when no flow does', async () => {
    const s = await setup(1);
    consumer = s.mk.consumer({ progress: false, groupId: uniqueName('group') });
    await consumer.subscribe({ topics: [s.topic] });
    await consumer.run({ eachMessage: async () => undefined });
    await consumer.failover(s.dr);
    const failback = await consumer.failback().catch((e: unknown) => e);
    expect(failback).toBeInstanceOf(MirrorKitClientError);
    expect((failback as MirrorKitClientError).code).toBe('CLIENT_NO_REVERSE_FLOW');
    expect((failback as Error).message).toContain(s.policy.checkpointsTopic(s.dr));
    await expect(consumer.failover('nowhere')).rejects.toMatchObject({ code: 'CLIENT_UNKNOWN_ALIAS' });
  });

  it('picks up a remote topic that appears while running, without a restart', async () => {
    const s = await setup(1);
    await produce(s.east, s.topic, 1, 3, 'local');
    consumer = s.mk.consumer({ progress: false, groupId: uniqueName('group'), metadataRefreshMs: 500 });
    const seen: { key: string; origin: string; topic: string }[] = [];
    const changes: string[][] = [];
    consumer.on('subscription:changed', (info) => changes.push([...info.added]));
    await consumer.subscribe({ topics: [s.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, origin, topic }) =>
        void seen.push({ key: message.key?.toString() ?? '', origin: origin.cluster, topic }),
    });
    await eventually('local records', async () => (seen.length >= 3 ? true : undefined));

    // A new region starts replicating into the active cluster: `<region>.<topic>` appears.
    const region = uniqueName('eu');
    const newRemote = s.policy.formatRemoteTopic(region, s.topic);
    const admin = kafkaFor(s.east).admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [{ topic: newRemote, numPartitions: 1 }, { topic: `${s.topic}-archive` }],
    });
    await admin.disconnect();
    await produce(s.east, newRemote, 1, 4, 'from-eu');
    await produce(s.east, `${s.topic}-archive`, 1, 2, 'archive');

    await eventually(
      'records of the new remote topic',
      async () => (seen.length >= 7 ? true : undefined),
      30_000,
    );
    expect(changes.at(-1)).toEqual([newRemote]);
    const fromEu = seen.filter((r) => r.key.startsWith('from-eu'));
    expect(fromEu).toHaveLength(4);
    expect(new Set(fromEu.map((r) => r.origin))).toEqual(new Set([region]));
    expect(seen.filter((r) => r.key.startsWith('archive'))).toEqual([]);
    expect(seen.filter((r) => r.key.startsWith('local')).every((r) => r.origin === s.home)).toBe(true);
  });
});
