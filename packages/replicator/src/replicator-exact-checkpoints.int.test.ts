import {
  commitGroupOffsets,
  createTopicsAndWait,
  DefaultReplicationPolicy,
  decodeOffsetSync,
  OffsetSyncStore,
  type ReadRecord,
  readCheckpoints,
  readTopicToEnd,
} from '@mirrorkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { mm2Interop } from '../../../test/mm2-interop.js';
import { type Replicator, startReplicator } from './replicator.js';
import { testLog } from './replicator-test-log.testing.js';

const policy = new DefaultReplicationPolicy();
const RECORDS = 3000;
/** Partition 1 is written in transactions of this many records, each followed by its commit marker. */
const PER_TRANSACTION = 50;

describe('the sidecar replicator: exact checkpoints', () => {
  let replicator: Replicator | undefined;
  afterEach(async () => {
    await replicator?.stop();
    replicator = undefined;
  });

  it('checkpoints a group at the target offset of its next record, off every offset sync, at offset.lag.max 100', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('ledger');
    const remote = policy.formatRemoteTopic(a, topic);
    const eastKafka = kafkaFor(east);
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    // Partition 0: plain records, so source and target offsets match. Partition 1: transactions,
    // so each commit marker leaves an upstream gap and target offsets fall behind source offsets.
    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 500)
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 500 }, (_, j) => ({
          partition: 0,
          key: `p0-${i + j}`,
          value: `v${i + j}`,
        })),
      });
    await producer.disconnect();
    const txnProducer = eastKafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: uniqueName('ledger-txn'),
    });
    await txnProducer.connect();
    for (let i = 0; i < RECORDS; i += PER_TRANSACTION) {
      const txn = await txnProducer.transaction();
      await txn.send({
        topic,
        acks: -1,
        messages: Array.from({ length: PER_TRANSACTION }, (_, j) => ({
          partition: 1,
          key: `p1-${i + j}`,
          value: `v${i + j}`,
        })),
      });
      await txn.commit();
    }
    await txnProducer.disconnect();

    // offset.lag.max stays at MM2's default (100).
    replicator = await startReplicator({
      properties: `
clusters = ${a}, ${b}
${a}.bootstrap.servers = ${east}
${b}.bootstrap.servers = ${west}
${a}->${b}.enabled = true
${a}->${b}.topics = ${topic}
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
refresh.topics.interval.seconds = 1
emit.checkpoints.interval.seconds = 1
emit.heartbeats.interval.seconds = 1
sync.topic.acls.enabled = false
`,
      httpPort: 0,
      log: testLog(),
    });
    const westKafka = kafkaFor(west);
    const target = await eventually(
      `${RECORDS} records per partition on the target`,
      async () => {
        const records = await readTopicToEnd(westKafka, remote, { timeoutMs: 30_000 }).catch(() => []);
        return records.length === 2 * RECORDS ? records : undefined;
      },
      120_000,
      1000,
    );
    const source = await readTopicToEnd(eastKafka, topic, { timeoutMs: 30_000 });
    // Ground truth: where each source record (by its unique key) landed.
    const targetOffsetOf = new Map(target.map((r) => [r.key?.toString(), r.offset]));
    const at = (records: readonly ReadRecord[], partition: number, offset: bigint): ReadRecord | undefined =>
      records.find((r) => r.partition === partition && r.offset === offset);
    const landed = (partition: number, upstream: bigint): bigint => {
      const record = at(source, partition, upstream);
      const offset = record && targetOffsetOf.get(record.key?.toString());
      if (offset === undefined)
        throw new Error(`source record ${partition}@${upstream} is not on the target`);
      return offset;
    };

    // Committed after the copy is complete, so the very first checkpoint is the one judged. 1,234
    // is a record in both partitions and on no offset sync; partition 1's 1,274 is a commit marker.
    const marker = BigInt(24 * (PER_TRANSACTION + 1) + PER_TRANSACTION);
    expect(at(source, 1, marker)).toBeUndefined();
    expect(at(source, 1, 1234n)).toBeDefined();
    const group = uniqueName('settlement');
    const atMarker = uniqueName('settlement-marker');
    // Metadata naming the last processed record, as MirrorKit's fingerprinted commits do (kept to
    // the record's key here: the test judges the copy of the string, not a fingerprint format).
    const metadataOf = (partition: number, upstream: bigint): string =>
      `processed:${at(source, partition, upstream - 1n)?.key?.toString()}`;
    const commits = [
      { group, partition: 0, offset: 1234n },
      { group, partition: 1, offset: 1234n },
      { group: atMarker, partition: 1, offset: marker },
    ].map((c) => ({ ...c, metadata: metadataOf(c.partition, c.offset) }));
    for (const c of commits)
      await commitGroupOffsets(eastKafka, c.group, [
        { topic, partition: c.partition, offset: c.offset, metadata: c.metadata },
      ]);
    // The target offset of source record C, or one past that of C - 1 when C is no record.
    const expected = commits.map((c) =>
      at(source, c.partition, c.offset)
        ? landed(c.partition, c.offset)
        : landed(c.partition, c.offset - 1n) + 1n,
    );
    expect(expected[0]).toBe(1234n);
    // 24 commit markers come before source offset 1,234 on partition 1.
    expect(expected[1]).toBe(1234n - 24n);
    expect(expected[2]).toBe(BigInt(25 * PER_TRANSACTION));

    const checkpointed = async (g: string, partitions: number) =>
      eventually(
        `checkpoints of ${g}`,
        async () => {
          const read = await readCheckpoints(westKafka, {
            sourceAlias: a,
            policy,
            group: g,
            timeoutMs: 10_000,
          });
          return read.offsets.length === partitions ? read : undefined;
        },
        60_000,
        500,
      );
    const ours = await checkpointed(group, 2);
    const theirs = await checkpointed(atMarker, 1);
    expect(ours.skipped).toBe(0);
    const got = [...ours.offsets, ...theirs.offsets];
    expect(got.map((o) => [o.topic, o.partition, o.sourceOffset, o.targetOffset])).toEqual(
      commits.map((c, i) => [remote, c.partition, c.offset, expected[i]]),
    );
    for (const [i, o] of got.entries()) {
      const c = commits[i] as (typeof commits)[number];
      // The commit metadata is copied as MM2 copies it, and the target record right before the
      // checkpoint is the one the metadata names: the last one the group processed.
      expect(o.metadata).toBe(c.metadata);
      expect(`processed:${at(target, o.partition, o.targetOffset - 1n)?.key?.toString()}`).toBe(o.metadata);
    }
    // One checkpoint per group partition: the first one was already exact.
    expect(ours.checkpoints.filter((c) => c.consumerGroupId === group)).toHaveLength(2);

    // What MM2's rule makes of the offset syncs the sidecar wrote: the same syncs, the last one at or
    // before the group, plus one. Never past the exact answer, and short of it off a sync.
    const syncs = new OffsetSyncStore();
    for (const r of await readTopicToEnd(eastKafka, policy.offsetSyncsTopic(b), { timeoutMs: 30_000 }))
      if (r.key && r.value) syncs.add(decodeOffsetSync(r.key, r.value));
    const bySyncs = commits.map((c) => syncs.translateDownstream(topic, c.partition, c.offset));
    console.info(
      `exact checkpoints ${expected.join(', ')}; MM2's sync-based translation ${bySyncs.join(', ')} ` +
        `(replay ${bySyncs.map((s, i) => (s === null ? 'n/a' : String((expected[i] as bigint) - s))).join(', ')})`,
    );
    for (const [i, s] of bySyncs.entries()) if (s !== null) expect(s <= (expected[i] as bigint)).toBe(true);
    expect(bySyncs[0] !== null && (bySyncs[0] as bigint) < 1234n).toBe(true);

    // MM2's own RemoteClusterUtils.translateOffsets reads the same answers from the sidecar's checkpoints.
    expect(await mm2Interop('translate', west, a, group)).toEqual([
      `${remote}\t0\t${expected[0]}`,
      `${remote}\t1\t${expected[1]}`,
    ]);
    expect(await mm2Interop('translate', west, a, atMarker)).toEqual([`${remote}\t1\t${expected[2]}`]);

    const metrics = await (await fetch(`http://127.0.0.1:${replicator.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/mirrorkit_replicator_checkpoints_exact_total\{flow="[^"]+"\} 3\n/);
  }, 240_000);
});
