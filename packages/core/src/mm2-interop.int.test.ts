import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { mm2Interop } from '../../../test/mm2-interop.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec.js';
import { readCheckpoints } from './checkpoint-reader.js';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat-codec.js';
import { decodeOffsetSync, encodeOffsetSync } from './offset-sync-codec.js';
import { createTopicsAndWait } from './topic-admin.js';
import { readTopicToEnd } from './topic-reader.js';

interface JavaCheckpoint {
  partition: number;
  offset: number;
  group?: string;
  topic?: string;
  topicPartition?: number;
  upstreamOffset?: string;
  downstreamOffset?: string;
  metadata?: string;
  source?: string;
  target?: string;
  timestamp?: string;
  error?: string;
}

const parse = (lines: string[]): JavaCheckpoint[] => lines.map((line) => JSON.parse(line) as JavaCheckpoint);

describe('interoperability with real MirrorMaker 2', () => {
  const policy = new DefaultReplicationPolicy();
  // Aliases unique to this file, so its MM2 internal topics never meet another test's.
  const source = uniqueName('src');
  const target = uniqueName('dst');
  const topic = uniqueName('orders');
  const remote = policy.formatRemoteTopic(source, topic);
  const groupSet = uniqueName('set-group');
  const groupConsumed = uniqueName('consumed-group');
  let mm2: MirrorMakerProcess | undefined;
  let east = '';
  let west = '';

  beforeAll(async () => {
    ({ east, west } = sharedClusters({ attachLogsToTest: false }));
    const admin = kafkaFor(east).admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const producer = kafkaFor(east).producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < 3000; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 500 }, (_, j) => ({
          partition: (i + j) % 3,
          key: `k${i + j}`,
          value: `v${i + j}`,
        })),
      });
    }
    await producer.disconnect();
    // One group positioned with the admin API, one that really consumed part of the topic.
    const a = kafkaFor(east).admin();
    await a.connect();
    await a.setOffsets({
      groupId: groupSet,
      topic,
      partitions: [
        { partition: 0, offset: '100' },
        { partition: 1, offset: '537' },
        { partition: 2, offset: '999' },
      ],
    });
    await a.disconnect();
    const consumer = kafkaFor(east).consumer({ groupId: groupConsumed, maxBytesPerPartition: 4096 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let count = 0;
    await new Promise<void>((done) => {
      void consumer.run({
        autoCommitThreshold: 50,
        eachMessage: async () => {
          count++;
          if (count === 1700) done();
        },
      });
    });
    await consumer.disconnect();

    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [source]: east, [target]: west },
        flows: [`${source}->${target}`],
        extra: {
          [`${source}->${target}.topics`]: topic,
          'sync.group.offsets.enabled': 'true',
          'sync.group.offsets.interval.seconds': '1',
        },
      }),
    });
  });

  afterAll(async () => {
    await mm2?.stop();
  });

  it('readCheckpoints translates both groups exactly as MM2 itself (RemoteClusterUtils and synced group offsets)', async () => {
    onTestFailed(() => console.error(`---- MM2 log tail ----\n${mm2?.logTail(60)}`));
    const westKafka = kafkaFor(west);
    const eastAdmin = kafkaFor(east).admin();
    await eastAdmin.connect();
    const committed = await eastAdmin.fetchOffsets({ groupId: groupConsumed, topics: [topic] });
    await eastAdmin.disconnect();
    const committedConsumed = new Map(committed[0]!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    const expectedUpstream: Record<string, Map<number, bigint>> = {
      [groupSet]: new Map([
        [0, 100n],
        [1, 537n],
        [2, 999n],
      ]),
      [groupConsumed]: committedConsumed,
    };

    for (const group of [groupSet, groupConsumed]) {
      const ours = await eventually(
        `checkpoints for ${group} at the committed offsets`,
        async () => {
          const read = await readCheckpoints(westKafka, {
            sourceAlias: source,
            policy,
            group,
            timeoutMs: 10_000,
          });
          const ok =
            read.offsets.length === 3 &&
            read.offsets.every(
              (o) => o.topic === remote && o.sourceOffset === expectedUpstream[group]?.get(o.partition),
            );
          return ok ? read : undefined;
        },
        90_000,
      );
      expect(ours.skipped).toBe(0);
      // Conservative translation: never beyond the upstream position (offsets match 1:1 here).
      for (const o of ours.offsets) expect(o.targetOffset <= o.sourceOffset).toBe(true);

      const java = await mm2Interop('translate', west, source, group);
      const javaOffsets = java
        .map((line) => line.split('\t'))
        .map(([t, p, o]) => ({ topic: t, partition: Number(p), offset: BigInt(o ?? '-1') }));
      expect(
        ours.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.targetOffset })),
      ).toEqual(javaOffsets);

      // MM2's own offset sync into the target group must land on the same offsets.
      await eventually(
        `MM2 synced ${group} on the target`,
        async () => {
          const admin = westKafka.admin();
          await admin.connect();
          try {
            const [synced] = await admin.fetchOffsets({ groupId: group, topics: [remote] });
            const got = (synced?.partitions ?? []).map((p) => ({
              partition: p.partition,
              offset: BigInt(p.offset),
            }));
            const want = ours.offsets.map((o) => ({ partition: o.partition, offset: o.targetOffset }));
            return JSON.stringify(
              got.sort((a, b) => a.partition - b.partition),
              (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
            ) === JSON.stringify(want, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
              ? true
              : undefined;
          } finally {
            await admin.disconnect();
          }
        },
        60_000,
      );
    }
  });

  it('decodes every checkpoint, offset sync and heartbeat MM2 wrote exactly as MM2 decodes it', async () => {
    const westKafka = kafkaFor(west);
    const eastKafka = kafkaFor(east);
    const cases = [
      { kafka: westKafka, bootstrap: west, topic: policy.checkpointsTopic(source), kind: 'checkpoint' },
      { kafka: eastKafka, bootstrap: east, topic: policy.offsetSyncsTopic(target), kind: 'offset-sync' },
      { kafka: westKafka, bootstrap: west, topic: 'heartbeats', kind: 'heartbeat' },
      {
        kafka: westKafka,
        bootstrap: west,
        topic: policy.formatRemoteTopic(source, 'heartbeats'),
        kind: 'heartbeat',
      },
    ] as const;
    for (const c of cases) {
      const java = parse(await mm2Interop('read', c.bootstrap, c.topic, c.kind));
      const records = await readTopicToEnd(c.kafka, c.topic);
      expect(records.length, `${c.topic} has records`).toBeGreaterThan(0);
      // Java read until its own end offsets, later than ours: compare the common prefix.
      const javaByPosition = new Map(java.map((j) => [`${j.partition}:${j.offset}`, j]));
      for (const record of records) {
        const j = javaByPosition.get(`${record.partition}:${record.offset}`);
        if (!j) continue;
        expect(j.error).toBeUndefined();
        const key = record.key as Buffer;
        const value = record.value as Buffer;
        if (c.kind === 'checkpoint') {
          const ours = decodeCheckpoint(key, value);
          expect([
            ours.consumerGroupId,
            ours.topic,
            ours.partition,
            String(ours.upstreamOffset),
            String(ours.downstreamOffset),
            ours.metadata,
          ]).toEqual([j.group, j.topic, j.topicPartition, j.upstreamOffset, j.downstreamOffset, j.metadata]);
          // Re-encoding gives MM2's bytes back, byte for byte.
          const again = encodeCheckpoint(ours);
          expect(again.key.equals(key) && again.value.equals(value)).toBe(true);
        } else if (c.kind === 'offset-sync') {
          const ours = decodeOffsetSync(key, value);
          expect([
            ours.topic,
            ours.partition,
            String(ours.upstreamOffset),
            String(ours.downstreamOffset),
          ]).toEqual([j.topic, j.topicPartition, j.upstreamOffset, j.downstreamOffset]);
          const again = encodeOffsetSync(ours);
          expect(again.key.equals(key) && again.value.equals(value)).toBe(true);
        } else {
          const ours = decodeHeartbeat(key, value);
          expect([ours.sourceClusterAlias, ours.targetClusterAlias, String(ours.timestamp)]).toEqual([
            j.source,
            j.target,
            j.timestamp,
          ]);
          const again = encodeHeartbeat(ours);
          expect(again.key.equals(key) && again.value.equals(value)).toBe(true);
        }
      }
    }
  });

  it('MM2 reads checkpoints and heartbeats that MirrorKit wrote, and translates from them', async () => {
    // A checkpoints topic for an alias no MM2 flow uses, written only by our encoder.
    const fakeSource = uniqueName('fake');
    const checkpointsTopic = policy.checkpointsTopic(fakeSource);
    const heartbeatsTopic = uniqueName('hb');
    const admin = kafkaFor(west).admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [
        { topic: checkpointsTopic, numPartitions: 1 },
        { topic: heartbeatsTopic, numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    const group = 'grüße-グループ';
    const written = [
      {
        consumerGroupId: group,
        topic: `${fakeSource}.orders`,
        partition: 0,
        upstreamOffset: 10n,
        downstreamOffset: 9n,
        metadata: '',
      },
      {
        consumerGroupId: group,
        topic: `${fakeSource}.orders`,
        partition: 0,
        upstreamOffset: 50n,
        downstreamOffset: 48n,
        metadata: 'm',
      },
      {
        consumerGroupId: group,
        topic: `${fakeSource}.orders`,
        partition: 7,
        upstreamOffset: 2n ** 40n,
        downstreamOffset: 2n ** 40n - 3n,
        metadata: '🙂',
      },
      {
        consumerGroupId: 'other',
        topic: `${fakeSource}.orders`,
        partition: 0,
        upstreamOffset: 1n,
        downstreamOffset: 1n,
        metadata: '',
      },
    ];
    const producer = kafkaFor(west).producer();
    await producer.connect();
    await producer.send({
      topic: checkpointsTopic,
      acks: -1,
      messages: written.map((c) => encodeCheckpoint(c)),
    });
    const beats = [
      { sourceClusterAlias: 'us-east', targetClusterAlias: 'us-west', timestamp: 1_700_000_000_123n },
      { sourceClusterAlias: 'eu', targetClusterAlias: 'ap-south', timestamp: 0n },
    ];
    await producer.send({ topic: heartbeatsTopic, acks: -1, messages: beats.map((b) => encodeHeartbeat(b)) });
    await producer.disconnect();

    const javaCheckpoints = parse(await mm2Interop('read', west, checkpointsTopic, 'checkpoint'));
    expect(
      javaCheckpoints.map((j) => [
        j.group,
        j.topic,
        j.topicPartition,
        j.upstreamOffset,
        j.downstreamOffset,
        j.metadata,
      ]),
    ).toEqual(
      written.map((c) => [
        c.consumerGroupId,
        c.topic,
        c.partition,
        String(c.upstreamOffset),
        String(c.downstreamOffset),
        c.metadata,
      ]),
    );
    const javaBeats = parse(await mm2Interop('read', west, heartbeatsTopic, 'heartbeat'));
    expect(javaBeats.map((j) => [j.source, j.target, j.timestamp])).toEqual(
      beats.map((b) => [b.sourceClusterAlias, b.targetClusterAlias, String(b.timestamp)]),
    );
    const translated = await mm2Interop('translate', west, fakeSource, group);
    expect(translated).toEqual([`${fakeSource}.orders\t0\t48`, `${fakeSource}.orders\t7\t${2n ** 40n - 3n}`]);
    const ours = await readCheckpoints(kafkaFor(west), { sourceAlias: fakeSource, policy, group });
    expect(ours.offsets.map((o) => `${o.topic}\t${o.partition}\t${o.targetOffset}`)).toEqual(translated);
  });

  it('produces the same bytes as MM2 classes for tricky values', async () => {
    const checks: [string[], { key: Buffer; value: Buffer }][] = [
      [
        ['checkpoint', 'g', 'us-east.orders', '2', '100', '90', ''],
        encodeCheckpoint({
          consumerGroupId: 'g',
          topic: 'us-east.orders',
          partition: 2,
          upstreamOffset: 100n,
          downstreamOffset: 90n,
          metadata: '',
        }),
      ],
      [
        ['checkpoint', 'ü🙂', 't', '2147483647', '9223372036854775807', '-9223372036854775808', 'meta data'],
        encodeCheckpoint({
          consumerGroupId: 'ü🙂',
          topic: 't',
          partition: 2147483647,
          upstreamOffset: 2n ** 63n - 1n,
          downstreamOffset: -(2n ** 63n),
          metadata: 'meta data',
        }),
      ],
      [
        ['offset-sync', 'orders', '0', '0', '-1'],
        encodeOffsetSync({ topic: 'orders', partition: 0, upstreamOffset: 0n, downstreamOffset: -1n }),
      ],
      [
        ['heartbeat', 'us-east', 'us-west', '1700000000000'],
        encodeHeartbeat({
          sourceClusterAlias: 'us-east',
          targetClusterAlias: 'us-west',
          timestamp: 1_700_000_000_000n,
        }),
      ],
    ];
    for (const [args, ours] of checks) {
      const [line] = await mm2Interop('encode', ...args);
      expect(`${ours.key.toString('hex')} ${ours.value.toString('hex')}`).toBe(line);
    }
  });
});
