/**
 * @packageDocumentation
 * `@mirrorkit/testkit`: real Apache Kafka (KRaft) clusters and real MirrorMaker 2 on loopback,
 * started from jars fetched from Maven Central. No Docker, no mock broker.
 *
 * @example
 * ```ts
 * import { startClusters } from '@mirrorkit/testkit';
 * const [east, west] = await startClusters(['us-east', 'us-west']);
 * console.log(east.bootstrapServers, west.bootstrapServers);
 * await Promise.all([east.stop(), west.stop()]);
 * ```
 */
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';

export { assertClusterAlias } from './cluster-alias.js';
export type { ClusterSecurity, ClusterSecurityProtocol } from './cluster-security.js';
export {
  type FaultProxy,
  type FaultProxyFault,
  type FaultProxyStats,
  type StartFaultProxyOptions,
  startFaultProxy,
} from './fault-proxy.js';
export {
  type JavaConsumedRecord,
  type JavaProducerPerformanceOptions,
  javaConsumeTopic,
  javaProducerPerformance,
  type StoredBatch,
  storedBatches,
} from './java-clients.js';
export { type KafkaCluster, type StartClusterOptions, startCluster, startClusters } from './kafka-cluster.js';
export {
  ensureKafkaRuntime,
  type KafkaRuntime,
  pinnedKafkaVersion,
  selectedKafkaVersion,
} from './kafka-runtime.js';
export {
  type MirrorMakerProcess,
  type MirrorMakerTestPropertiesOptions,
  mirrorMakerTestProperties,
  type StartMirrorMakerOptions,
  startMirrorMaker,
} from './mirror-maker.js';
export type { ScramUser } from './scram-users.js';
export { TestkitError, type TestkitErrorCode } from './testkit-error.js';
export type { TlsMaterial } from './tls-certificates.js';
