import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import type { Admin } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, recordCount, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import { type Replicator, startReplicator } from '../replicator.js';
import { testLog } from '../replicator-test-log.testing.js';
import {
  flowProperties,
  kafkaAt,
  metricValue,
  type SteadyProducer,
  sleep,
  startSteadyProducer,
} from './fault-harness.testing.js';
import { checkReplication, describeVerdict, type ReplicationVerdict } from './replication-oracle.testing.js';

const policy = new DefaultReplicationPolicy();
const PARTITIONS = 3;
const TOPIC_RESOURCE = 2;
const DYNAMIC_TOPIC_CONFIG = 1;
/** How long the offset-syncs topic stays unwritable: several checkpoint and commit intervals. */
const OUTAGE_MS = 8000;

/**
 * Makes every write to `topic` fail (a batch over `max.message.bytes` is refused with
 * MESSAGE_TOO_LARGE) or writable again. Not min.insync.replicas above the replica
 * count: brokers since KIP-966 (3.7) cap the effective minimum ISR at the replica count, so on one
 * broker acks=-1 writes still succeed (seen on 3.9.1). kafkajs's alterConfigs replaces a topic's
 * dynamic configs: the ones it has (compaction) are sent along.
 */
async function setUnwritable(admin: Admin, topic: string, unwritable: boolean): Promise<void> {
  const described = await admin.describeConfigs({
    resources: [{ type: TOPIC_RESOURCE, name: topic }],
    includeSynonyms: false,
  });
  const own = (described.resources[0]?.configEntries ?? [])
    .filter((e) => (e as { configSource?: number }).configSource === DYNAMIC_TOPIC_CONFIG)
    .filter((e) => e.configName !== 'max.message.bytes')
    .map((e) => ({ name: e.configName, value: e.configValue }));
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: TOPIC_RESOURCE,
        name: topic,
        configEntries: unwritable ? [...own, { name: 'max.message.bytes', value: '1' }] : own,
      },
    ],
  });
}

describe('the sidecar when the source offset-syncs topic is unwritable for a while', () => {
  let replicator: Replicator | undefined;
  let producer: SteadyProducer | undefined;
  let restore: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await restore?.().catch(() => undefined);
    await producer?.stop().catch(() => undefined);
    await replicator?.stop();
  });

  it('keeps copying without re-copying, reports the failure, and syncs again after', async () => {
    const started = Date.now();
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('stream');
    const remote = policy.formatRemoteTopic(a, topic);
    const syncsTopic = policy.offsetSyncsTopic(b);
    const source = kafkaAt(east);
    const target = kafkaAt(west);
    const admin = source.admin();
    await admin.connect();
    restore = async () => {
      await setUnwritable(admin, syncsTopic, false);
      await admin.disconnect();
    };
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: PARTITIONS }] });

    producer = await startSteadyProducer(source, topic, {
      partitions: PARTITIONS,
      perPartition: 10,
      tickMs: 50,
    });
    replicator = await startReplicator({
      properties: flowProperties({ a, b, source: east, target: west, topics: topic }),
      httpPort: 0,
      log: testLog(),
    });
    const metrics = async (): Promise<string> =>
      (await fetch(`http://127.0.0.1:${replicator?.httpPort}/metrics`)).text();
    const labels = { flow: `${a}->${b}` };
    await eventually('copies and offset syncs', async () =>
      (await recordCount(target, remote)) > 300 && (await recordCount(source, syncsTopic)) > 0
        ? true
        : undefined,
    );

    // Every send of offset syncs fails from now on, while the replicated topic stays writable.
    await setUnwritable(admin, syncsTopic, true);
    const syncErrors = async (): Promise<number> =>
      metricValue(await metrics(), 'mirrorkit_replicator_errors_total', { ...labels, kind: 'offset-syncs' });
    // From the first refused send on, the broker applies the config: no sync can land after that.
    await eventually(
      'a refused offset-syncs send',
      async () => ((await syncErrors()) > 0 ? true : undefined),
      15_000,
    );
    const syncsAtOutageStart = await recordCount(source, syncsTopic);
    const outageStart = {
      source: await recordCount(source, topic),
      target: await recordCount(target, remote),
    };
    await sleep(OUTAGE_MS);
    const outageEnd = { source: await recordCount(source, topic), target: await recordCount(target, remote) };
    const errorsDuringOutage = await syncErrors();
    const syncsAtOutageEnd = await recordCount(source, syncsTopic);
    await setUnwritable(admin, syncsTopic, false);
    const healedAt = { syncs: await recordCount(source, syncsTopic) };
    const syncsMetricAtHeal = metricValue(await metrics(), 'mirrorkit_replicator_offset_syncs_total', labels);
    console.log(
      `[faults] offset-syncs outage ${OUTAGE_MS} ms: source +${outageEnd.source - outageStart.source}, target +${outageEnd.target - outageStart.target}, offset-syncs errors ${errorsDuringOutage}`,
    );

    // Offset syncs resume: new ones on the topic, counted as emitted.
    await eventually('offset syncs written again', async () =>
      (await recordCount(source, syncsTopic)) > healedAt.syncs &&
      metricValue(await metrics(), 'mirrorkit_replicator_offset_syncs_total', labels) > syncsMetricAtHeal
        ? true
        : undefined,
    );
    const total = await producer.stop();
    producer = undefined;
    const verdict = await eventually<ReplicationVerdict>(
      'every source record on the target',
      async () => {
        const v = await checkReplication({ kafka: source, topic }, { kafka: target, topic: remote });
        return v.lost === 0 ? v : undefined;
      },
      30_000,
      500,
    );
    console.log(
      `[faults] offset-syncs outage: ${total} records, ${describeVerdict(verdict)}, ${Date.now() - started} ms`,
    );

    // The failure was reported for every round, not swallowed, and no sync landed meanwhile.
    expect(errorsDuringOutage).toBeGreaterThan(1);
    expect(syncsAtOutageEnd).toBe(syncsAtOutageStart);
    // Copying went on while syncs could not be written: a sync is only a translation hint, so the
    // target must keep up with the source (half of what the source took in, on a loaded 2-core box).
    expect(outageEnd.target - outageStart.target).toBeGreaterThanOrEqual(
      (outageEnd.source - outageStart.source) / 2,
    );
    // Bound 0: a failed sync must never make a batch be copied again (no rebalance, no retry of
    // the copy), and nothing may be lost or reordered.
    expect(verdict.lost).toBe(0);
    expect(verdict.reordered).toBe(0);
    expect(verdict.extra).toBe(0);
    expect(verdict.duplicated).toBe(0);
  }, 90_000);
});
