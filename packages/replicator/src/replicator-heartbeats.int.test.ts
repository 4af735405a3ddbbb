import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  decodeHeartbeat,
  type Heartbeat,
  parseMirrorMakerProperties,
  readTopicToEnd,
} from '@mirrorkit/core';
import { type KafkaCluster, startClusters } from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, uniqueName } from '../../../test/kafka-context.js';
import { jsonLogger } from './logger.js';
import { type Replicator, startReplicator } from './replicator.js';
import { TOPIC_WATCH_INTERVAL_SECONDS } from './topic-watch.js';

// Fresh clusters, not the shared ones: there, earlier tests have created us-east's `heartbeats`
// topic already, and a replicator started then would copy it whatever the code does.

const policy = new DefaultReplicationPolicy();
/** What a new topic may take beyond the watch interval: the re-sync, a consumer restart, the copy. */
const SLACK_MS = 10_000;

const kafkaOf = (cluster: KafkaCluster): Kafka =>
  new Kafka({ brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });

async function topicsOf(cluster: KafkaCluster): Promise<string[]> {
  const admin = kafkaOf(cluster).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

async function heartbeatsIn(cluster: KafkaCluster, topic: string): Promise<Heartbeat[]> {
  const records = await readTopicToEnd(kafkaOf(cluster), topic, { timeoutMs: 5_000 });
  return records.flatMap((r) => (r.key && r.value ? [decodeHeartbeat(r.key, r.value)] : []));
}

describe('the sidecar replicator at MM2 default refresh (600 s): heartbeats and new topics from the first seconds', () => {
  let clusters: KafkaCluster[] = [];
  let east: KafkaCluster;
  let west: KafkaCluster;
  let replicator: Replicator | undefined;
  const lines: string[] = [];
  const prefix = uniqueName('shop');
  let properties = '';
  let heartbeatsBeforeStart = true;
  let startedAt = 0;
  let firstSelection: string[] = [];

  const onFailure = (): void =>
    onTestFailed(() => {
      console.error(`---- replicator log ----\n${lines.slice(-80).join('')}`);
      for (const c of clusters) console.error(`---- ${c.alias} broker log ----\n${c.logTail(30)}`);
    });

  beforeAll(async () => {
    clusters = await startClusters(['us-east', 'us-west']);
    [east, west] = clusters as [KafkaCluster, KafkaCluster];
    const admin = kafkaOf(east).admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: `${prefix}-orders`, numPartitions: 2 }] });
    await admin.disconnect();
    // The topics filter of the issue, which the heartbeats topic does not match.
    properties = `
clusters = us-east, us-west
us-east.bootstrap.servers = ${east.bootstrapServers}
us-west.bootstrap.servers = ${west.bootstrapServers}
us-east->us-west.enabled = true
us-east->us-west.topics = ${prefix}-orders.*, ${prefix}-payments.*, ${prefix}-inventory.*
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
sync.topic.acls.enabled = false
`;
    heartbeatsBeforeStart = (await topicsOf(east)).includes(policy.heartbeatsTopic());
    startedAt = Date.now();
    replicator = await startReplicator({
      properties,
      httpPort: 0,
      log: jsonLogger((line) => {
        lines.push(line);
        if (process.env.REPLICATOR_DEBUG) process.stdout.write(line);
      }),
    });
    firstSelection = replicator.flows[0]?.topics ?? [];
  }, 180_000);

  afterAll(async () => {
    await replicator?.stop();
    await Promise.all(clusters.map((c) => c.stop()));
  });

  it('copies us-east heartbeats to us-west within 15 s of start, although the filter excludes them', async () => {
    onFailure();
    const flow = parseMirrorMakerProperties(properties).flows[0];
    expect(flow?.refreshTopics).toEqual({ enabled: true, intervalSeconds: 600 });
    expect(flow?.topics.test(policy.heartbeatsTopic())).toBe(false);
    // Nobody had created us-east's heartbeats topic: the replicator did (its us-west->us-east
    // heartbeats fill it), before the flow's first selection, which therefore has it.
    expect(heartbeatsBeforeStart).toBe(false);
    expect(firstSelection).toEqual([policy.heartbeatsTopic(), `${prefix}-orders`]);

    const remote = policy.formatRemoteTopic('us-east', policy.heartbeatsTopic());
    const beats = await eventually(
      `heartbeats in ${remote} on us-west`,
      async () => {
        if (!(await topicsOf(west)).includes(remote)) return undefined;
        const found = (await heartbeatsIn(west, remote)).filter(
          (h) => h.sourceClusterAlias === 'us-west' && h.targetClusterAlias === 'us-east',
        );
        return found.length > 0 ? found : undefined;
      },
      Math.max(0, startedAt + 15_000 - Date.now()),
    );
    console.info(
      `[replicator-heartbeats] ${remote} held heartbeats ${Date.now() - startedAt} ms after start`,
    );
    expect(Number((beats[0] as Heartbeat).timestamp)).toBeGreaterThanOrEqual(startedAt);
    const health = await fetch(`http://127.0.0.1:${replicator?.httpPort}/healthz`);
    expect(health.status).toBe(200);
  }, 60_000);

  it(`copies a matching topic created after start within the ${TOPIC_WATCH_INTERVAL_SECONDS} s watch bound (+ slack), and no other`, async () => {
    onFailure();
    const late = `${prefix}-payments-late`;
    const other = `${prefix}-audit`;
    const admin = kafkaOf(east).admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [
        { topic: late, numPartitions: 2 },
        { topic: other, numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    const createdAt = Date.now();
    const producer = kafkaOf(east).producer({ idempotent: true });
    await producer.connect();
    const sent = Array.from({ length: 10 }, (_, i) => ({
      key: `k${i}`,
      value: `payment-${i}`,
      partition: i % 2,
    }));
    await producer.send({ topic: late, acks: -1, messages: sent });
    await producer.send({ topic: other, acks: -1, messages: [{ key: 'k', value: 'not replicated' }] });
    await producer.disconnect();

    const remote = policy.formatRemoteTopic('us-east', late);
    const copied = await eventually(
      `the records of ${late} in ${remote} on us-west`,
      async () => {
        if (!(await topicsOf(west)).includes(remote)) return undefined;
        const records = await readTopicToEnd(kafkaOf(west), remote, { timeoutMs: 5_000 });
        return records.length >= sent.length ? records : undefined;
      },
      Math.max(0, createdAt + TOPIC_WATCH_INTERVAL_SECONDS * 1000 + SLACK_MS - Date.now()),
    );
    console.info(`[replicator-heartbeats] ${late} copied ${Date.now() - createdAt} ms after it was created`);
    expect(copied.map((r) => `${r.partition}:${r.key?.toString()}=${r.value?.toString()}`).sort()).toEqual(
      sent.map((m) => `${m.partition}:${m.key}=${m.value}`).sort(),
    );
    expect(await topicsOf(west)).not.toContain(policy.formatRemoteTopic('us-east', other));
    expect(replicator?.flows[0]?.topics).toContain(late);
  }, 60_000);
});
