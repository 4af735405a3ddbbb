import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  type ReadRecord,
  readTopicToEnd,
} from '@mirrorkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { ORIGINAL_TIMESTAMP_HEADER } from './flow/dead-letter-writer.js';
import { type Replicator, startReplicator } from './replicator.js';
import { testLog } from './replicator-test-log.testing.js';

const policy = new DefaultReplicationPolicy();
const PER_PARTITION = 100;
/** The record on partition 0 the target refuses: a timestamp ten days old. */
const POISON = 50;
const DAY_MS = 86_400_000;

/**
 * A source topic of 3 partitions with one old record on partition 0, and its remote topic made on
 * the target beforehand with `message.timestamp.before.max.ms` of one day, so the target refuses
 * that record for good (INVALID_TIMESTAMP) and nothing else. Topic configs are not synced, or the
 * sidecar would copy the source's unbounded setting over it.
 */
async function poisonedTopic(a: string): Promise<{ topic: string; remote: string }> {
  const { east, west } = sharedClusters();
  const topic = uniqueName('payments');
  const remote = policy.formatRemoteTopic(a, topic);
  const eastAdmin = kafkaFor(east).admin();
  const westAdmin = kafkaFor(west).admin();
  await Promise.all([eastAdmin.connect(), westAdmin.connect()]);
  await createTopicsAndWait(eastAdmin, { topics: [{ topic, numPartitions: 3 }] });
  await createTopicsAndWait(westAdmin, {
    topics: [
      {
        topic: remote,
        numPartitions: 3,
        configEntries: [{ name: 'message.timestamp.before.max.ms', value: String(DAY_MS) }],
      },
    ],
  });
  await Promise.all([eastAdmin.disconnect(), westAdmin.disconnect()]);
  await produce(topic, 0);
  return { topic, remote };
}

async function produce(topic: string, from: number, partitions = [0, 1, 2]): Promise<void> {
  const producer = kafkaFor(sharedClusters().east).producer({ idempotent: true });
  await producer.connect();
  const now = Date.now();
  for (const partition of partitions)
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
        partition,
        key: `p${partition}-${from + i}`,
        value: `v${from + i}`,
        timestamp: String(partition === 0 && from + i === POISON ? now - 10 * DAY_MS : now),
      })),
    });
  await producer.disconnect();
}

const properties = (a: string, b: string, topic: string, extra: string): string => `
clusters = ${a}, ${b}
${a}.bootstrap.servers = ${sharedClusters().east}
${b}.bootstrap.servers = ${sharedClusters().west}
${a}->${b}.enabled = true
${a}->${b}.topics = ${topic}
${b}->${a}.enabled = false
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
sync.topic.configs.enabled = false
sync.topic.acls.enabled = false
emit.checkpoints.interval.seconds = 1
${extra}
`;

/** The keys on each partition of `topic` on the target, in offset order: what is really there. */
async function keysByPartition(topic: string): Promise<string[][]> {
  const records = await readTopicToEnd(kafkaFor(sharedClusters().west), topic, { timeoutMs: 30_000 });
  const out: string[][] = [[], [], []];
  for (const r of [...records].sort((x, y) => Number(x.offset - y.offset)))
    out[r.partition]?.push(r.key?.toString() ?? '');
  return out;
}

const keys = (partition: number, from: number, to: number, except?: number): string[] =>
  Array.from({ length: to - from }, (_, i) => from + i)
    .filter((i) => i !== except)
    .map((i) => `p${partition}-${i}`);

describe('the sidecar replicator: a record the target refuses for good', () => {
  let replicator: Replicator | undefined;
  afterEach(async () => {
    await replicator?.stop();
    replicator = undefined;
  });

  it('errors.tolerance = none: stops that partition at the record and reports it; the others go on', async () => {
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const { topic, remote } = await poisonedTopic(a);
    replicator = await startReplicator({
      properties: properties(a, b, topic, ''),
      httpPort: 0,
      log: testLog(),
    });
    const flow = replicator.flows[0];
    const stopped = await eventually(
      'partition 0 reported stopped',
      async () => flow?.status().stoppedPartitions[0],
      60_000,
    );
    expect(stopped).toMatchObject({ topic, partition: 0, offset: String(POISON), code: 'INVALID_TIMESTAMP' });
    expect(stopped.error).toContain(`${topic}-0@${POISON}`);
    // The other partitions keep flowing: records produced after the stop arrive too.
    await produce(topic, PER_PARTITION, [1, 2]);
    const onTarget = await eventually(
      'partitions 1 and 2 complete on the target',
      async () => {
        const got = await keysByPartition(remote);
        return got[1]?.length === 2 * PER_PARTITION && got[2]?.length === 2 * PER_PARTITION ? got : undefined;
      },
      60_000,
      500,
    );
    // Ground truth: partition 0 holds exactly the records before the refused one, in order;
    // nothing was copied past it (skipping it would lose it).
    expect(onTarget[0]).toEqual(keys(0, 0, POISON));
    expect(onTarget[1]).toEqual(keys(1, 0, 2 * PER_PARTITION));
    expect(onTarget[2]).toEqual(keys(2, 0, 2 * PER_PARTITION));
    const status = flow?.status();
    expect(status?.skippedRecords).toBe(0);
    expect(status?.lastError).toContain('INVALID_TIMESTAMP');
    // /healthz says so (503, naming the partition); the process stays live.
    const health = await fetch(`http://127.0.0.1:${replicator.httpPort}/healthz`);
    expect(health.status).toBe(503);
    expect(JSON.stringify(await health.json())).toContain(`"offset":"${POISON}"`);
    expect((await fetch(`http://127.0.0.1:${replicator.httpPort}/healthz/live`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${replicator.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/mirrorkit_replicator_stopped_partitions\{flow="[^"]+"\} 1/);
  });

  it('errors.tolerance = all: skips the record, counts it, writes it to the dead letter queue; the rest arrive', async () => {
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const { topic, remote } = await poisonedTopic(a);
    const dlq = uniqueName('dlq');
    replicator = await startReplicator({
      properties: properties(
        a,
        b,
        topic,
        [
          'errors.tolerance = all',
          `${a}->${b}.errors.deadletterqueue.topic.name = ${dlq}`,
          'errors.deadletterqueue.topic.replication.factor = 1',
          'errors.deadletterqueue.context.headers.enable = true',
        ].join('\n'),
      ),
      httpPort: 0,
      log: testLog(),
    });
    const onTarget = await eventually(
      'every record but the refused one on the target',
      async () => {
        const got = await keysByPartition(remote);
        return got.every((p, i) => p.length === PER_PARTITION - (i === 0 ? 1 : 0)) ? got : undefined;
      },
      60_000,
      500,
    );
    expect(onTarget[0]).toEqual(keys(0, 0, PER_PARTITION, POISON));
    expect(onTarget[1]).toEqual(keys(1, 0, PER_PARTITION));
    expect(onTarget[2]).toEqual(keys(2, 0, PER_PARTITION));
    const flow = replicator.flows[0];
    expect(flow?.status().skippedRecords).toBe(1);
    expect(flow?.status().stoppedPartitions).toEqual([]);
    // The dead letter: the record as it was, where it came from and why.
    const letters: ReadRecord[] = await eventually(
      'the dead letter',
      async () => {
        const got = await readTopicToEnd(kafkaFor(sharedClusters().west), dlq, { timeoutMs: 10_000 });
        return got.length > 0 ? got : undefined;
      },
      30_000,
      500,
    );
    expect(letters).toHaveLength(1);
    const letter = letters[0] as ReadRecord;
    expect(letter.key?.toString()).toBe(`p0-${POISON}`);
    expect(letter.value?.toString()).toBe(`v${POISON}`);
    const header = (name: string): string | undefined => letter.headers?.[name]?.toString();
    expect(header('__connect.errors.topic')).toBe(topic);
    expect(header('__connect.errors.partition')).toBe('0');
    expect(header('__connect.errors.offset')).toBe(String(POISON));
    expect(header('__connect.errors.exception.class.name')).toBe(
      'org.apache.kafka.common.errors.InvalidTimestampException',
    );
    expect(Number(header(ORIGINAL_TIMESTAMP_HEADER))).toBeLessThan(Date.now() - 9 * DAY_MS);
    const metrics = replicator.metrics.render();
    expect(metrics).toMatch(/mirrorkit_replicator_skipped_records_total\{[^}]*\} 1/);
    expect(metrics).toMatch(/mirrorkit_replicator_dead_letters_total\{[^}]*\} 1/);
  });

  it('exactly-once: the refused record is skipped inside the transaction, its letter with it; read_committed sees each other record once', async () => {
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const { topic, remote } = await poisonedTopic(a);
    const dlq = uniqueName('dlq');
    replicator = await startReplicator({
      properties: properties(
        a,
        b,
        topic,
        [
          'exactly.once.source.support = enabled',
          'errors.tolerance = all',
          `errors.deadletterqueue.topic.name = ${dlq}`,
          'errors.deadletterqueue.topic.replication.factor = 1',
        ].join('\n'),
      ),
      httpPort: null,
      log: testLog(),
    });
    // More after the refused one, so the transactions that follow it are judged too.
    await produce(topic, PER_PARTITION);
    const onTarget = await eventually(
      'every committed record but the refused one on the target',
      async () => {
        const got = await keysByPartition(remote);
        return got.every((p, i) => p.length === 2 * PER_PARTITION - (i === 0 ? 1 : 0)) ? got : undefined;
      },
      60_000,
      500,
    );
    // keysByPartition reads read_committed: aborted copies would not count, duplicates would.
    expect(onTarget[0]).toEqual(keys(0, 0, 2 * PER_PARTITION, POISON));
    expect(onTarget[1]).toEqual(keys(1, 0, 2 * PER_PARTITION));
    expect(onTarget[2]).toEqual(keys(2, 0, 2 * PER_PARTITION));
    const letters = await readTopicToEnd(kafkaFor(sharedClusters().west), dlq, { timeoutMs: 10_000 });
    expect(letters.map((r) => r.key?.toString())).toEqual([`p0-${POISON}`]);
    expect(replicator.flows[0]?.status().skippedRecords).toBe(1);
  });
});
