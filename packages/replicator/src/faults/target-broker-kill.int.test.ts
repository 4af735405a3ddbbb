import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import { type KafkaCluster, startCluster } from '@mirrorkit/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, recordCount, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import { type Replicator, startReplicator } from '../replicator.js';
import { testLog } from '../replicator-test-log.testing.js';
import {
  flowProperties,
  kafkaAt,
  type SteadyProducer,
  sleep,
  startSteadyProducer,
} from './fault-harness.testing.js';
import { checkReplication, describeVerdict, type ReplicationVerdict } from './replication-oracle.testing.js';

const policy = new DefaultReplicationPolicy();
const PARTITIONS = 3;

// This file owns its target cluster because it SIGKILLs it; the source is the shared us-east.
describe('the sidecar when its target broker is SIGKILLed mid-stream', () => {
  let target: KafkaCluster | undefined;
  let replicator: Replicator | undefined;
  let producer: SteadyProducer | undefined;
  beforeAll(async () => {
    target = await startCluster({ alias: 'faults-target' });
  });
  afterAll(async () => {
    await producer?.stop().catch(() => undefined);
    await replicator?.stop();
    await target?.stop();
  });

  it('loses nothing, keeps order, and re-copies at most the last seconds before the kill', async () => {
    const started = Date.now();
    const { east } = sharedClusters();
    const dst = target as KafkaCluster;
    onTestFailed(() => console.error(`---- target broker log tail ----\n${dst.logTail(60)}`));
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('stream');
    const remote = policy.formatRemoteTopic(a, topic);
    const source = kafkaAt(east);
    const targetKafka = kafkaAt(dst.bootstrapServers);
    const admin = source.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    producer = await startSteadyProducer(source, topic, {
      partitions: PARTITIONS,
      perPartition: 10,
      tickMs: 50,
    });
    replicator = await startReplicator({
      properties: flowProperties({ a, b, source: east, target: dst.bootstrapServers, topics: topic }),
      log: testLog(),
    });
    await eventually(
      'copies on the target',
      async () => ((await recordCount(targetKafka, remote)) > 300 ? true : undefined),
      30_000,
    );

    // What the source took in during the last 3 s before the kill bounds what can be re-copied:
    // the copy group commits every second (autoCommitInterval), so a copy that was acknowledged but
    // not committed, or sent but not acknowledged, is at most that old when the broker dies.
    const before = producer.sent();
    await sleep(3000);
    const bound = producer.sent() - before;
    await dst.kill();
    const killedAt = Date.now();
    await sleep(2000);
    await dst.restart();
    console.log(`[faults] target down ${Date.now() - killedAt} ms (restart ${dst.startupMs} ms)`);
    const atRestart = await recordCount(targetKafka, remote);
    await eventually(
      'copying again after the restart',
      async () => ((await recordCount(targetKafka, remote)) > atRestart + 300 ? true : undefined),
      30_000,
    );
    const total = await producer.stop();
    producer = undefined;

    const verdict = await eventually<ReplicationVerdict>(
      'every source record on the target',
      async () => {
        const v = await checkReplication({ kafka: source, topic }, { kafka: targetKafka, topic: remote });
        return v.lost === 0 ? v : undefined;
      },
      30_000,
      500,
    );
    console.log(
      `[faults] target kill: ${total} records, ${describeVerdict(verdict)}, bound ${bound}, ${Date.now() - started} ms`,
    );
    expect(verdict.lost).toBe(0);
    expect(verdict.reordered).toBe(0);
    expect(verdict.extra).toBe(0);
    expect(verdict.duplicated).toBeLessThanOrEqual(bound);
  }, 90_000);
});
