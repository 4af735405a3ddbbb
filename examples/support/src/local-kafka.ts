/**
 * The local Kafka every example runs on: fresh KRaft clusters and MirrorMaker 2 from
 * `@mirrorkit/testkit`, released by a {@link Teardown} even when Ctrl-C comes while they start.
 */
import { createTopicsAndWait } from '@mirrorkit/core';
import {
  type KafkaCluster,
  type MirrorMakerProcess,
  type StartMirrorMakerOptions,
  startClusters,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import type { Teardown } from './shutdown.js';
import { checkAborted } from './waits.js';

/**
 * Starts one fresh local cluster per alias, in that order, and registers their stop with
 * `teardown` (as `the clusters`) before the start is awaited.
 *
 * @throws `ExampleAborted` once `signal` has aborted during the start; the clusters are then
 * stopped by the teardown.
 */
export async function startLocalClusters(
  teardown: Teardown,
  aliases: readonly string[],
  signal?: AbortSignal,
): Promise<KafkaCluster[]> {
  const clusters = await teardown.started('the clusters', startClusters(aliases), async (started) => {
    await Promise.all(started.map((cluster) => cluster.stop()));
  });
  checkAborted(signal);
  return clusters;
}

/**
 * Starts MirrorMaker 2 and registers its release with `teardown` (as `MirrorMaker 2`) before the
 * start is awaited. The release kills it: once the run is over nothing MM2 holds matters (and after
 * a crash it has nothing left to flush; a graceful stop would only wait on the dead cluster), so
 * kill() is quicker than a graceful stop; stop() after kill() returns at once and removes MM2's
 * scratch folder.
 *
 * @throws `ExampleAborted` once `signal` has aborted during the start; MM2 is then released
 * by the teardown.
 */
export async function startLocalMirrorMaker(
  teardown: Teardown,
  options: StartMirrorMakerOptions,
  signal?: AbortSignal,
): Promise<MirrorMakerProcess> {
  const mm2 = await teardown.started('MirrorMaker 2', startMirrorMaker(options), async (started) => {
    await started.kill();
    await started.stop();
  });
  checkAborted(signal);
  return mm2;
}

/** A quiet kafkajs client of one local cluster, named `clientId`. */
export function localKafka(cluster: KafkaCluster, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [...cluster.brokers],
    logLevel: logLevel.NOTHING,
  });
}

/** Creates `topic` with `numPartitions` partitions and waits until every partition has a leader. */
export async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, { topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}
