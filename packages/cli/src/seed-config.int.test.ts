import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitGroupOffsets, createTopicsAndWait, readTopicToEnd } from '@mirrorkit/core';
import { jsonLogger, type Replicator, startReplicator } from '@mirrorkit/replicator';
import { type KafkaCluster, startClusters } from '@mirrorkit/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor } from '../../../test/kafka-context.js';
import { runNode } from '../../../test/spawn-node.js';
import type { StatusResult } from './commands/status.js';

// The seed's mm2.properties as a user has it — inline comment on the disabled reverse flow
// included — changed only where it must be to run here: broker addresses and replication factors
// of 1 on one-broker clusters. Fresh clusters named like the seed's, so no other test's topics
// match its `orders.*` filter.

const FIXTURE = fileURLToPath(new URL('../fixtures/seed-mm2.properties', import.meta.url));
const BIN = fileURLToPath(new URL('../dist/bin/mirrorkit.js', import.meta.url));
const REPLICATED = ['orders', 'payments.card', 'payments.refunds', 'inventory'];
const NOT_REPLICATED = ['shipping', 'customers', 'audit-orders'];
const PER_TOPIC = 50;

describe('the seed mm2.properties, verbatim but for addresses and replication factors', () => {
  let east: KafkaCluster;
  let west: KafkaCluster;
  let dir: string;
  let file: string;
  let replicator: Replicator | undefined;
  let started = 0;
  const logLines: string[] = [];

  beforeAll(async () => {
    [east, west] = (await startClusters(['us-east', 'us-west'])) as [KafkaCluster, KafkaCluster];
    dir = mkdtempSync(join(tmpdir(), 'mirrorkit-seed-'));
    file = join(dir, 'mm2.properties');
    const seed = readFileSync(FIXTURE, 'utf8');
    const local = seed
      .replace(
        'us-east.bootstrap.servers = localhost:9092',
        `us-east.bootstrap.servers = ${east.bootstrapServers}`,
      )
      .replace(
        'us-west.bootstrap.servers = localhost:9093',
        `us-west.bootstrap.servers = ${west.bootstrapServers}`,
      )
      .replace(/^((?:[\w.-]+\.)?replication\.factor) = 3$/gm, '$1 = 1');
    expect(local).toContain('us-west->us-east.enabled = false # Disable for Active-Passive');
    expect(local).not.toMatch(/^(?!.*storage).*replication\.factor = 3$/m);
    writeFileSync(file, local);

    const admin = kafkaFor(east.bootstrapServers).admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [...REPLICATED, ...NOT_REPLICATED].map((topic) => ({ topic, numPartitions: 2 })),
    });
    await admin.disconnect();
    const producer = kafkaFor(east.bootstrapServers).producer();
    await producer.connect();
    for (const topic of [...REPLICATED, ...NOT_REPLICATED])
      await producer.send({
        topic,
        messages: Array.from({ length: PER_TOPIC }, (_, i) => ({
          partition: i % 2,
          key: `${topic}-${i}`,
          value: String(i),
        })),
      });
    await producer.disconnect();
    // payment-consumer-group has read payments.card up to offset 20 of each partition.
    await commitGroupOffsets(kafkaFor(east.bootstrapServers), 'payment-consumer-group', [
      { topic: 'payments.card', partition: 0, offset: 20n },
      { topic: 'payments.card', partition: 1, offset: 20n },
    ]);

    started = Date.now();
    replicator = await startReplicator({
      properties: readFileSync(file, 'utf8'),
      log: jsonLogger((line) => {
        logLines.push(line);
      }),
    });
  }, 180_000);

  afterAll(async () => {
    await replicator?.stop();
    await Promise.all([east?.stop(), west?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('warns about the inline comment with the full key and line, and runs the active flow only', () => {
    onTestFailed(() => console.error(logLines.join('')));
    const warning = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.key === 'us-west->us-east.enabled');
    expect(warning).toMatchObject({ line: 14 });
    expect(String(warning?.message ?? warning?.msg)).toMatch(/false # Disable for Active-Passive/);
    expect(replicator?.flows.map((f) => f.name)).toEqual(['us-east->us-west']);
  });

  it('`mirrorkit status` shows a heartbeat age within 15 s of start', async () => {
    const status = await eventually(
      'status shows the heartbeat age of us-east->us-west',
      async () => {
        const run = await runNode(BIN, ['status', '--config', file, '--json']);
        const result = JSON.parse(run.stdout) as StatusResult;
        const flow = result.flows.find((f) => f.source === 'us-east' && f.target === 'us-west');
        return flow?.heartbeatAgeMs !== null && flow?.heartbeatAgeMs !== undefined ? flow : undefined;
      },
      30_000,
      500,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(status.heartbeatAgeMs).toBeLessThan(15_000);
  });

  it('replicates orders, payments.* and inventory in full, and nothing else in either direction', async () => {
    const target = kafkaFor(west.bootstrapServers);
    for (const topic of REPLICATED)
      await eventually(
        `us-east.${topic} holds every record`,
        async () =>
          (await readTopicToEnd(target, `us-east.${topic}`).catch(() => [])).length === PER_TOPIC
            ? true
            : undefined,
        60_000,
      );
    const admin = target.admin();
    await admin.connect();
    const westTopics = (await admin.listTopics()).filter((t) => t.startsWith('us-east.')).sort();
    await admin.disconnect();
    expect(westTopics).toEqual(
      [...REPLICATED.map((t) => `us-east.${t}`), 'us-east.checkpoints.internal', 'us-east.heartbeats'].sort(),
    );
    const eastAdmin = kafkaFor(east.bootstrapServers).admin();
    await eastAdmin.connect();
    const eastTopics = await eastAdmin.listTopics();
    await eastAdmin.disconnect();
    expect(eastTopics.filter((t) => t.startsWith('us-west.'))).toEqual([]);
  });

  it('syncs the offsets of payment-consumer-group to us-west', async () => {
    const target = kafkaFor(west.bootstrapServers);
    const synced = await eventually(
      'payment-consumer-group has offsets on us-east.payments.card on us-west',
      async () => {
        const admin = target.admin();
        await admin.connect();
        try {
          const [fetched] = await admin.fetchOffsets({
            groupId: 'payment-consumer-group',
            topics: ['us-east.payments.card'],
          });
          const offsets = (fetched?.partitions ?? []).filter((p) => Number(p.offset) > 0);
          return offsets.length === 2 ? offsets : undefined;
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
      1000,
    );
    // Translated through offset syncs: never past what the group had read upstream.
    for (const p of synced) expect(Number(p.offset)).toBeLessThanOrEqual(20);
  });
});
