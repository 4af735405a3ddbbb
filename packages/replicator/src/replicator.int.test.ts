import { MirrorKit } from '@mirrorkit/client';
import {
  commitGroupOffsets,
  createTopicsAndWait,
  DefaultReplicationPolicy,
  type ReadRecord,
  readCheckpoints,
  readTopicToEnd,
} from '@mirrorkit/core';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { mm2Interop } from '../../../test/mm2-interop.js';
import { jsonLogger } from './logger.js';
import { type Replicator, startReplicator } from './replicator.js';
import { testLog } from './replicator-test-log.testing.js';

const policy = new DefaultReplicationPolicy();

function properties(a: string, b: string, east: string, west: string, topics: string, extra = ''): string {
  return `
clusters = ${a}, ${b}
${a}.bootstrap.servers = ${east}
${b}.bootstrap.servers = ${west}
${a}->${b}.enabled = true
${a}->${b}.topics = ${topics}
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
refresh.topics.interval.seconds = 1
emit.checkpoints.interval.seconds = 1
emit.heartbeats.interval.seconds = 1
sync.topic.acls.enabled = false
${extra}`;
}

async function highWatermarks(bootstrap: string, topic: string): Promise<number[]> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic))
      .sort((x, y) => x.partition - y.partition)
      .map((p) => Number(p.high));
  } finally {
    await admin.disconnect();
  }
}

const comparable = (r: ReadRecord) => ({
  partition: r.partition,
  key: r.key?.toString('hex') ?? null,
  value: r.value?.toString('hex') ?? null,
  headers: JSON.stringify(
    Object.entries(r.headers).map(([k, v]) => [
      k,
      (Array.isArray(v) ? v : [v]).map((x) => x?.toString('hex')),
    ]),
  ),
  timestamp: r.timestamp.toString(),
});

describe('the sidecar replicator on real brokers', () => {
  let replicator: Replicator | undefined;
  afterEach(async () => {
    await replicator?.stop();
    replicator = undefined;
  });

  it('copies 20,000 records byte for byte to the same partitions in order, and follows topic changes', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const prefix = uniqueName('orders');
    const topic = `${prefix}-main`;
    const eastKafka = kafkaFor(east);
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
    });
    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < 20_000; i += 2000) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 2000 }, (_, j) => ({
          key: j % 97 === 0 ? null : `us-east:order-${i + j}`,
          value: j % 101 === 0 ? null : Buffer.from([i % 256, j % 256, 0, 255, 10]),
          headers: { 'x-id': String(i + j), 'x-bin': Buffer.from([0, 1, 2]), 'x-multi': ['a', 'b'] },
          timestamp: String(1_700_000_000_000 + i + j),
        })),
      });
    }

    replicator = await startReplicator({
      properties: properties(a, b, east, west, `${prefix}-.*`),
      httpPort: 0,
      log: testLog(),
    });
    const remote = policy.formatRemoteTopic(a, topic);
    // Heartbeats topics are always replicated, as by MM2 (the shared clusters hold several).
    expect(replicator.flows[0]?.topics.filter((t) => !policy.isHeartbeatsTopic(t))).toEqual([topic]);
    await eventually(
      '20,000 records on the target',
      async () => {
        const counts = await highWatermarks(west, remote);
        return counts.reduce((x, y) => x + y, 0) === 20_000 ? counts : undefined;
      },
      120_000,
    );
    const sourceRecords = await readTopicToEnd(eastKafka, topic, { timeoutMs: 60_000 });
    const targetRecords = await readTopicToEnd(kafkaFor(west), remote, { timeoutMs: 60_000 });
    expect(targetRecords.map(comparable)).toEqual(sourceRecords.map(comparable));
    expect(await highWatermarks(west, remote)).toEqual(await highWatermarks(east, topic));

    // Topic configs came along (explicitly set ones), and a change follows.
    const remoteConfig = async (name: string) => {
      const westAdmin = kafkaFor(west).admin();
      await westAdmin.connect();
      try {
        const d = await westAdmin.describeConfigs({
          resources: [{ type: 2, name: remote, configNames: [name] }],
          includeSynonyms: false,
        });
        return d.resources[0]?.configEntries[0]?.configValue;
      } finally {
        await westAdmin.disconnect();
      }
    };
    expect(await remoteConfig('retention.ms')).toBe('86400000');
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    await eventually('retention.ms change on the remote topic', async () =>
      (await remoteConfig('retention.ms')) === '3600000' ? true : undefined,
    );

    // More partitions on the source: the remote grows and records in the new one are copied.
    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
    await eventually('5 partitions on the remote topic', async () =>
      (await highWatermarks(west, remote)).length === 5 ? true : undefined,
    );
    // A new producer: the old one's metadata does not know partition 4 yet.
    const lateProducer = eastKafka.producer();
    await lateProducer.connect();
    await lateProducer.send({ topic, acks: -1, messages: [{ key: 'late', value: 'in-4', partition: 4 }] });
    await lateProducer.disconnect();
    expect((await highWatermarks(east, topic))[4]).toBe(1);

    // A topic created later is picked up without a restart.
    const later = `${prefix}-later`;
    await createTopicsAndWait(admin, { topics: [{ topic: later, numPartitions: 2 }] });
    await producer.send({ topic: later, acks: -1, messages: [{ key: 'k', value: 'v', partition: 1 }] });
    await eventually(
      'the later topic and the new partition replicated',
      async () => {
        const laterCounts = await highWatermarks(west, policy.formatRemoteTopic(a, later)).catch(() => []);
        const mainCounts = await highWatermarks(west, remote);
        return laterCounts[1] === 1 && mainCounts[4] === 1 ? true : undefined;
      },
      60_000,
    );
    await producer.disconnect();
    await admin.disconnect();

    const metrics = await (await fetch(`http://127.0.0.1:${replicator.httpPort}/metrics`)).text();
    // 20,002 orders plus the heartbeats the flow also replicates.
    const counter = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? Number.NaN);
    expect(counter(/mirrorkit_replicator_records_total\{flow="[^"]+"\} (\d+)/)).toBeGreaterThanOrEqual(
      20_002,
    );
    expect(counter(/mirrorkit_replicator_latency_ms_count\{flow="[^"]+"\} (\d+)/)).toBe(
      counter(/mirrorkit_replicator_records_total\{flow="[^"]+"\} (\d+)/),
    );
    expect(metrics).toMatch(/mirrorkit_replicator_latency_ms_bucket\{flow="[^"]+",le="\+Inf"\} \d+/);
    expect(counter(/mirrorkit_replicator_offset_syncs_total\{flow="[^"]+"\} (\d+)/)).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${replicator.httpPort}/healthz`);
    expect(health.status).toBe(200);
  }, 240_000);

  it('copies fetches larger than one produce request may carry (5 MiB of 1 KiB records in one partition)', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('blobs');
    const eastKafka = kafkaFor(east);
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < 5000; i += 500)
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 500 }, (_, j) => ({
          key: `k${i + j}`,
          value: Buffer.alloc(1024, (i + j) % 256),
        })),
      });
    await producer.disconnect();
    replicator = await startReplicator({ properties: properties(a, b, east, west, topic), log: testLog() });
    await eventually(
      '5,000 records on the target',
      async () =>
        (await highWatermarks(west, policy.formatRemoteTopic(a, topic)))[0] === 5000 ? true : undefined,
      60_000,
    );
  }, 120_000);

  it("writes checkpoints that MM2's RemoteClusterUtils and readCheckpoints translate alike, plus heartbeats", async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('payments');
    const group = uniqueName('billing');
    const eastKafka = kafkaFor(east);
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 })),
    });
    await producer.disconnect();
    replicator = await startReplicator({
      properties: properties(a, b, east, west, topic, 'offset.lag.max = 10'),
      log: testLog(),
    });
    // The group commits somewhere in the middle of each partition, and one record short of the head
    // of partition 2 (so the failover below has a record to resume with everywhere).
    const committed = new Map([
      [0, 400n],
      [1, 777n],
      [2, 999n],
    ]);
    await commitGroupOffsets(
      eastKafka,
      group,
      [...committed].map(([partition, offset]) => ({ topic, partition, offset })),
    );

    const remote = policy.formatRemoteTopic(a, topic);
    const ours = await eventually(
      'checkpoints for the group',
      async () => {
        const read = await readCheckpoints(kafkaFor(west), {
          sourceAlias: a,
          policy,
          group,
          timeoutMs: 10_000,
        });
        // Early checkpoints may be coarse (replication still behind the group, so the offset syncs
        // translate); they are refined to exact once the sidecar has copied past the group.
        const current = read.offsets.every((o) => o.sourceOffset === committed.get(o.partition));
        const exact = read.offsets.every((o) => o.targetOffset === o.sourceOffset);
        return read.offsets.length === 3 && current && exact ? read : undefined;
      },
      90_000,
    );
    expect(ours.skipped).toBe(0);
    // Offsets are 1:1 here, so exact is the group's own offset, although offset syncs are 11 apart.
    for (const o of ours.offsets) expect([o.topic, o.targetOffset]).toEqual([remote, o.sourceOffset]);
    const java = await mm2Interop('translate', west, a, group);
    expect(ours.offsets.map((o) => `${o.topic}\t${o.partition}\t${o.targetOffset}`)).toEqual(java);

    // The client fails over on the sidecar's checkpoints: it commits exactly their offsets on the
    // target and resumes there.
    const mk = new MirrorKit({
      clusters: { [a]: { brokers: [east] }, [b]: { brokers: [west] } },
      activeCluster: a,
      policy,
      logLevel: logLevel.NOTHING,
    });
    const consumer = mk.consumer({ groupId: group });
    const firstOnTarget = new Map<number, bigint>();
    let hold: () => void = () => undefined;
    const held = new Promise<void>((resolveHold) => {
      hold = resolveHold;
    });
    await consumer.subscribe({ topics: [topic], remote: true });
    await consumer.run({
      eachMessage: async ({ cluster, partition, message }) => {
        // Nothing is handled (or committed) on the source: the group's position stays where the
        // checkpoints say.
        if (cluster === a) return held;
        if (!firstOnTarget.has(partition)) firstOnTarget.set(partition, BigInt(message.offset));
      },
    });
    try {
      const report = await consumer.failover(b);
      hold();
      expect(
        report.positions
          .filter((p) => p.topic === remote)
          .map((p) => `${p.topic}\t${p.partition}\t${p.offset}`),
      ).toEqual(java);
      await eventually('records from the translated offsets on the target', async () =>
        firstOnTarget.size === 3 ? true : undefined,
      );
      for (const o of ours.offsets) expect(firstOnTarget.get(o.partition)).toBe(o.targetOffset);
    } finally {
      hold();
      await consumer.disconnect();
    }

    // Heartbeats a->b land in b's heartbeats topic; MM2 lists a as b's upstream once a.heartbeats exists.
    await eventually('heartbeats on the target', async () => {
      const records = await readTopicToEnd(kafkaFor(west), 'heartbeats', { timeoutMs: 10_000 });
      return records.some((r) => r.key?.includes(Buffer.from(a))) ? true : undefined;
    });
  }, 180_000);
});

describe('the sidecar replicator: sync.group.offsets', () => {
  let replicator: Replicator | undefined;
  afterEach(async () => {
    await replicator?.stop();
    replicator = undefined;
  });

  it('commits translated offsets for empty groups on the target, never backwards', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('invoices');
    const group = uniqueName('billing');
    const eastKafka = kafkaFor(east);
    const admin = eastKafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    const producer = eastKafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
    });
    await producer.disconnect();
    // The group is at the head of both partitions: translation is exact there.
    await commitGroupOffsets(eastKafka, group, [
      { topic, partition: 0, offset: 100n },
      { topic, partition: 1, offset: 100n },
    ]);
    const remote = policy.formatRemoteTopic(a, topic);
    const targetOffsets = async (): Promise<Map<number, bigint>> => {
      const westAdmin = kafkaFor(west).admin();
      await westAdmin.connect();
      try {
        const [t] = await westAdmin.fetchOffsets({ groupId: group, topics: [remote] });
        return new Map((t?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      } finally {
        await westAdmin.disconnect();
      }
    };
    replicator = await startReplicator({
      properties: properties(
        a,
        b,
        east,
        west,
        topic,
        'sync.group.offsets.enabled = true\nsync.group.offsets.interval.seconds = 1\noffset.lag.max = 10',
      ),
      log: testLog(),
    });
    // Partition 1 is already further along on the target (consumers ran there): it must stay.
    await commitGroupOffsets(kafkaFor(west), group, [{ topic: remote, partition: 1, offset: 150n }]);
    const synced = await eventually(
      'group offsets synced on the target',
      async () => {
        const offsets = await targetOffsets();
        return offsets.get(0) === 100n ? offsets : undefined;
      },
      60_000,
    );
    await new Promise((resolveWait) => setTimeout(resolveWait, 2500));
    expect(synced.get(0)).toBe(100n);
    expect((await targetOffsets()).get(1)).toBe(150n);
  }, 120_000);
});

describe('the sidecar replicator: an unreachable cluster', () => {
  it('starts anyway, names the cluster, reports unhealthy and keeps the reachable flow running', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const gone = uniqueName('gone');
    const topic = uniqueName('orders');
    const admin = kafkaFor(east).admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const lines: string[] = [];
    const replicator = await startReplicator({
      properties: `clusters = ${a}, ${b}, ${gone}
${a}.bootstrap.servers = ${east}
${b}.bootstrap.servers = ${west}
${gone}.bootstrap.servers = 127.0.0.1:1
${a}->${b}.enabled = true
${a}->${gone}.enabled = true
topics = ${topic}
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
sync.topic.acls.enabled = false
`,
      httpPort: 0,
      log: jsonLogger((line) => lines.push(line)),
    });
    try {
      const health = replicator.health();
      expect(health.ready).toBe(false);
      expect(health.errors[`${a}->${gone}`]).toMatch(new RegExp(`target cluster ${gone} is unreachable`));
      const response = await fetch(`http://127.0.0.1:${replicator.httpPort}/healthz`);
      expect(response.status).toBe(503);
      expect(lines.join('')).toMatch(/"code":"REPLICATOR_CLUSTER_UNREACHABLE"/);
      // The reachable flow replicates meanwhile.
      const producer = kafkaFor(east).producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
      await producer.disconnect();
      await eventually('the reachable flow copied the record', async () =>
        (await highWatermarks(west, policy.formatRemoteTopic(a, topic)).catch(() => [0]))[0] === 1
          ? true
          : undefined,
      );
    } finally {
      await replicator.stop();
    }
  }, 120_000);
});
