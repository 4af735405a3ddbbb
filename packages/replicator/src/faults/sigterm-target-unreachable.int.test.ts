import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import { type KafkaCluster, startCluster } from '@mirrorkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, recordCount, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import {
  flowProperties,
  kafkaAt,
  killChildren,
  type ReplicatorChild,
  type SteadyProducer,
  sleep,
  spawnReplicator,
  startSteadyProducer,
} from './fault-harness.testing.js';

const policy = new DefaultReplicationPolicy();
const STOP_TIMEOUT_SECONDS = 5;
/** Process exit and a loaded 2-core box: what may pass between the bound and the exit event. */
const SLACK_MS = 3000;

// This file owns its target cluster: the target is reached only through the cluster's fault proxy.
describe('SIGTERM while the target cannot be reached', () => {
  let target: KafkaCluster | undefined;
  let dir: string | undefined;
  let producer: SteadyProducer | undefined;
  const children: ReplicatorChild[] = [];
  beforeAll(async () => {
    target = await startCluster({ alias: 'faults-proxied', proxies: 1 });
  });
  afterAll(async () => {
    killChildren(children);
    await producer?.stop().catch(() => undefined);
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits within --stop-timeout-seconds, non-zero, naming what hung and no secret', async () => {
    const started = Date.now();
    const { east } = sharedClusters();
    const dst = target as KafkaCluster;
    const proxy = dst.proxy as NonNullable<KafkaCluster['proxy']>;
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('stream');
    const secret = uniqueName('pw');
    const remote = policy.formatRemoteTopic(a, topic);
    const source = kafkaAt(east);
    const admin = source.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    dir = mkdtempSync(join(tmpdir(), 'mirrorkit-faults-'));
    const file = join(dir, 'mm2.properties');
    writeFileSync(
      file,
      flowProperties(
        { a, b, source: east, target: dst.proxiedBootstrapServers as string, topics: topic },
        // A secret in the file, read by the mapping but unused on PLAINTEXT: it must never be printed.
        `${b}.ssl.truststore.password = ${secret}\n`,
      ),
    );
    producer = await startSteadyProducer(source, topic, { partitions: 3, perPartition: 10, tickMs: 50 });
    const child = spawnReplicator(['--config', file, '--stop-timeout-seconds', String(STOP_TIMEOUT_SECONDS)]);
    children.push(child);
    const direct = kafkaAt(dst.bootstrapServers);
    await eventually(
      'copies on the target',
      async () => ((await recordCount(direct, remote)) > 300 ? true : undefined),
      30_000,
    );

    // A partition: the sidecar's requests to the target go unanswered, its connections stay open.
    proxy.blackhole();
    // Long enough for copies to be in flight into the void, well short of kafkajs's request timeout.
    await sleep(1000);
    const signalledAt = Date.now();
    child.process.kill('SIGTERM');
    const exit = await Promise.race([
      child.exited,
      sleep(STOP_TIMEOUT_SECONDS * 1000 + SLACK_MS + 5000).then(() => null),
    ]);
    const tookMs = exit ? exit.at - signalledAt : Number.POSITIVE_INFINITY;
    console.log(
      `[faults] SIGTERM with the target blackholed: exit ${exit?.code ?? 'none'} after ${tookMs} ms (bound ${STOP_TIMEOUT_SECONDS} s), ${Date.now() - started} ms`,
    );
    proxy.heal();

    expect(exit).not.toBeNull();
    expect(tookMs).toBeLessThanOrEqual(STOP_TIMEOUT_SECONDS * 1000 + SLACK_MS);
    const log = child.log();
    expect(log).not.toContain(secret);
    if (exit?.code === 0) {
      // The stop finished within the bound after all: it says so.
      expect(log).toMatch(/"message":"stopped"/);
    } else {
      // The stop hung on the target: the bound ended it with exit 1, naming the flow that hung.
      expect(exit?.code).toBe(1);
      expect(tookMs).toBeGreaterThanOrEqual(STOP_TIMEOUT_SECONDS * 1000 - 100);
      const line = log.split('\n').find((l) => l.includes('REPLICATOR_STOP_TIMEOUT'));
      expect(line).toBeDefined();
      // The flow had not committed nor left its group either (its copy was stuck on the target):
      // what hung must name it, not only the first step of a stop that runs one step at a time.
      expect(JSON.parse(line as string).pending).toContain(`flow ${a}->${b}`);
    }
  }, 60_000);
});
