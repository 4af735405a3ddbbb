import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  IdentityReplicationPolicy,
  type ReplicationPolicy,
} from '@mirrorkit/core';
import {
  type KafkaCluster,
  type MirrorMakerProcess,
  mirrorMakerTestProperties,
  startClusters,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/kafka-context.js';
import type { FailoverReport } from './client-events.js';
import { MirrorKit } from './mirror-kit.js';

const TOTAL = 10_000;
const PARTITIONS = 3;

interface Runbook {
  clusters: KafkaCluster[];
  mm2: MirrorMakerProcess | undefined;
}

async function sumCommitted(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The DR runbook end to end on real brokers and real MirrorMaker 2: produce on us-east, consume
 * about half, SIGKILL us-east, and let the consumer fail over by itself and finish on us-west.
 */
async function runbook(state: Runbook, policyName: 'default' | 'identity'): Promise<void> {
  state.clusters = await startClusters(['us-east', 'us-west']);
  const [east, west] = state.clusters as [KafkaCluster, KafkaCluster];
  try {
    await runbookOn(state, east, west, policyName);
  } catch (error) {
    // Printed here, not in onTestFailed: afterEach deletes the run directories before that fires.
    console.error(`---- us-east ----\n${east.logTail(30)}\n---- us-west ----\n${west.logTail(30)}`);
    console.error(`---- MM2 ----\n${state.mm2?.logTail(60) ?? '(not started)'}`);
    throw error;
  }
}

async function runbookOn(
  state: Runbook,
  east: KafkaCluster,
  west: KafkaCluster,
  policyName: 'default' | 'identity',
): Promise<void> {
  const quiet = (bootstrap: string): Kafka => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const eastKafka = quiet(east.bootstrapServers);
  const westKafka = quiet(west.bootstrapServers);
  const policy: ReplicationPolicy =
    policyName === 'identity'
      ? new IdentityReplicationPolicy({ sourceClusterAlias: 'us-east' })
      : new DefaultReplicationPolicy();
  const remoteTopic = policy.formatRemoteTopic('us-east', 'orders');
  const groupId = 'billing';

  const admin = eastKafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, {
    topics: [{ topic: 'orders', numPartitions: PARTITIONS }],
  });
  await admin.disconnect();

  const mm2Properties = {
    properties: mirrorMakerTestProperties({
      clusters: { 'us-east': east.bootstrapServers, 'us-west': west.bootstrapServers },
      flows: ['us-east->us-west'],
      extra: {
        'us-east->us-west.topics': 'orders',
        'offset.lag.max': '10',
        ...(policyName === 'identity'
          ? { 'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy' }
          : {}),
      },
    }),
  };
  state.mm2 = await startMirrorMaker(mm2Properties);

  const producer = eastKafka.producer({ idempotent: true });
  await producer.connect();
  for (let batch = 0; batch < TOTAL; batch += 1000) {
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: 1000 }, (_, i) => ({
        key: `us-east:order-${batch + i}`,
        value: String(batch + i),
      })),
    });
  }
  await producer.disconnect();
  // Everything must be on us-west before the crash: what MM2 never copied is lost with us-east
  // (that is the RPO, measured elsewhere), and this test is about not skipping what was copied.
  await eventually(
    `${TOTAL} records in ${remoteTopic} on us-west`,
    async () => {
      const a = westKafka.admin();
      await a.connect();
      try {
        const offsets = await a.fetchTopicOffsets(remoteTopic);
        return offsets.reduce((sum, p) => sum + Number(p.high), 0) === TOTAL ? true : undefined;
      } finally {
        await a.disconnect();
      }
    },
    90_000,
  );

  const mk = new MirrorKit({
    clusters: {
      'us-east': { brokers: [east.bootstrapServers] },
      'us-west': { brokers: [west.bootstrapServers] },
    },
    activeCluster: 'us-east',
    policy,
    logLevel: logLevel.NOTHING,
  });
  const consumer = mk.consumer({
    groupId,
    automaticFailover: true,
    health: {
      intervalMs: 500,
      probeTimeoutMs: 1000,
      failureThreshold: 3,
      minFailureDurationMs: 1500,
      heartbeatIntervalMs: 0,
    },
    metadataRefreshMs: 1000,
    // Small fetches and frequent commits, so "about half consumed" is also about half committed.
    kafkajs: { maxBytesPerPartition: 16 * 1024 },
  });
  const seen = new Map<string, number>();
  const perCluster: Record<string, number> = {};
  const wrongOrigins: string[] = [];
  let firstOnWestAt = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolveGate) => {
    release = resolveGate;
  });
  let reports: FailoverReport[] = [];
  consumer.on('failover:complete', (report) => reports.push(report));
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 100,
    eachMessage: async ({ message, cluster, origin }) => {
      const id = message.key?.toString() ?? '';
      if (origin.cluster !== 'us-east' || origin.topic !== 'orders')
        wrongOrigins.push(`${cluster}:${origin.cluster}/${origin.topic}`);
      if (cluster === 'us-west' && firstOnWestAt === 0) firstOnWestAt = Date.now();
      perCluster[cluster] = (perCluster[cluster] ?? 0) + 1;
      if (cluster === 'us-east' && seen.size === TOTAL / 2) await gate;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    },
  });

  // Wait until about half is committed on us-east and MM2 has checkpointed that position.
  await eventually('half the records committed on us-east', async () =>
    (await sumCommitted(eastKafka, groupId, 'orders')) >= TOTAL / 2 - 1000 ? true : undefined,
  );
  const committedOnEast = await sumCommitted(eastKafka, groupId, 'orders');
  // MM2 must have checkpointed the group on every partition before the crash. Its checkpoints can
  // trail the commits (MM2 3.9 emits one only when the translated downstream offset moves, and
  // translation goes through sparse offset syncs): what trails is replayed, never skipped, and the
  // assertions below bound replays by what us-east handed out, so a trailing checkpoint is enough.
  const checkpointed = async (): Promise<true | undefined> => {
    const { readCheckpoints } = await import('@mirrorkit/core');
    const read = await readCheckpoints(westKafka, {
      sourceAlias: 'us-east',
      policy,
      group: groupId,
      timeoutMs: 5000,
    });
    const upstream = read.offsets.reduce((sum, o) => sum + Number(o.sourceOffset), 0);
    return read.offsets.length === PARTITIONS && upstream >= committedOnEast / 2 ? true : undefined;
  };
  try {
    await eventually('a checkpoint of the group on every partition', checkpointed, 60_000);
  } catch {
    // Seen in CI: MM2 3.9 in dedicated mode sometimes never starts its checkpoint task for a group
    // that appears after start (no us-east.checkpoints.internal at all). Not what this test is
    // about: restart MM2 once, as an operator would, and wait again.
    await state.mm2?.stop();
    state.mm2 = await startMirrorMaker(mm2Properties);
    await eventually(
      'a checkpoint of the group on every partition, after an MM2 restart',
      checkpointed,
      90_000,
    );
  }

  const killedAt = Date.now();
  await east.kill();
  release();

  await eventually(
    `all ${TOTAL} ids consumed`,
    async () => (seen.size === TOTAL && reports.length > 0 ? true : undefined),
    120_000,
  );
  const rtoMs = firstOnWestAt - killedAt;
  const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
  const report = reports[0] as FailoverReport;
  await consumer.disconnect();

  expect(wrongOrigins).toEqual([]);
  expect(report.from).toBe('us-east');
  expect(report.to).toBe('us-west');
  expect(report.reason).toBe('automatic');
  expect(report.partitionsWithoutCheckpoint).toBe(0);
  expect(report.positions.filter((p) => p.topic === remoteTopic)).toHaveLength(PARTITIONS);
  // Nothing skipped: every id at least once.
  for (let i = 0; i < TOTAL; i++) expect(seen.has(`us-east:order-${i}`)).toBe(true);
  // Replays are exactly what lies between the translated positions and what us-east had handed
  // out. The consumer's progress records (with its final positions written to us-west before it
  // planned) name the last record it processed, so the positions are exact: nothing replayed,
  // however far MM2's checkpoints trail (their offset syncs are sparse, KAFKA-14666).
  const remotePositions = report.positions.filter((p) => p.topic === remoteTopic);
  const translatedSum = remotePositions.reduce((sum, p) => sum + Number(p.offset), 0);
  const eastDelivered = perCluster['us-east'] ?? 0;
  expect(duplicates).toBe(eastDelivered - translatedSum);
  for (const p of remotePositions) {
    expect(p.basis).toBe('progress');
    expect(p.replayBound).toBe(0n);
    // The copy's offsets are the source's here (a fresh topic, no gaps).
    expect(p.offset).toBe(p.sourceOffset);
  }
  expect(duplicates).toBe(0);
  console.log(
    `[runbook:${policyName}] RTO ${rtoMs} ms (failover itself ${report.durationMs} ms: ${JSON.stringify(report.steps)}); ` +
      `delivered us-east=${eastDelivered} us-west=${perCluster['us-west'] ?? 0}; duplicates=${duplicates}; ` +
      `committed on us-east before kill=${committedOnEast}`,
  );
  reports = [];
}

describe('failover runbook on real clusters and real MirrorMaker 2', () => {
  const state: Runbook = { clusters: [], mm2: undefined };
  afterEach(async () => {
    await state.mm2?.stop();
    await Promise.all(state.clusters.map((c) => c.stop()));
    state.mm2 = undefined;
    state.clusters = [];
  });

  it('DefaultReplicationPolicy: SIGKILL us-east, the consumer fails over by itself and skips nothing', async () => {
    await runbook(state, 'default');
  }, 300_000);

  it('IdentityReplicationPolicy: the same runbook with unprefixed remote topics', async () => {
    await runbook(state, 'identity');
  }, 300_000);
});
