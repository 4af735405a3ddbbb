/**
 * @packageDocumentation
 * `@mirrorkit/client`: failover-aware Kafka consumer and producer for multi-region topologies
 * replicated by MirrorMaker 2 (or the MirrorKit replicator). A consumer reads a logical topic and
 * all its remote copies, and fails over by translating its group's offsets through MM2
 * checkpoints; a producer holds sends during a failover and delivers them to the new cluster.
 *
 * @example
 * ```ts
 * import { MirrorKit } from '@mirrorkit/client';
 *
 * const mk = new MirrorKit({
 *   clusters: {
 *     'us-east': { brokers: ['kafka.us-east.example:9092'] },
 *     'us-west': { brokers: ['kafka.us-west.example:9092'] },
 *   },
 *   activeCluster: 'us-east',
 * });
 * const consumer = mk.consumer({ groupId: 'billing', automaticFailover: true });
 * consumer.on('failover:complete', (report) => console.log(report.from, '->', report.to, report.durationMs));
 * await consumer.subscribe({ topics: ['orders'] }); // orders, us-west.orders, ...
 * await consumer.run({
 *   eachMessage: async ({ message, origin }) => console.log(origin.cluster, message.key?.toString()),
 * });
 * ```
 */
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';

// The one position type, from core's failover planner.
export type { FailoverPosition, PositionBasis, PositionProblem } from '@mirrorkit/core';
// Producers stamp records with their origin region; re-exported so a client user needs one import.
export { ORIGIN_HEADER, stampOrigin } from '@mirrorkit/core';
export type { ClusterConnection, MirrorKitConfig } from './client-config.js';
export { type ClientErrorCode, MirrorKitClientError } from './client-error.js';
export type { ClusterHealth, ConsumerEvents, FailoverReport, ProducerEvents } from './client-events.js';
export {
  MirrorKitConsumer,
  type MirrorKitConsumerOptions,
  type MirrorKitEachBatchPayload,
  type MirrorKitEachMessagePayload,
  type MirrorKitRunConfig,
  type MirrorKitSubscription,
} from './failover-consumer.js';
export {
  type FailoverRetryOptions,
  MirrorKitProducer,
  type MirrorKitProducerOptions,
  type ProducerSwitch,
} from './failover-producer.js';
export { type FingerprintedCommit, fingerprintedCommit } from './fingerprinted-commit.js';
export { HealthMonitor, type HealthMonitorEvents, type HealthMonitorOptions } from './health-monitor.js';
export type { MessageOrigin } from './message-origin.js';
export { messageOrigin } from './message-origin.js';
export { MirrorKit } from './mirror-kit.js';
export { ProgressWriter, type ProgressWriterOptions } from './progress-writer.js';
// The split-brain guard's rule, for those who want to see why a failover was held.
export {
  DEFAULT_SILENCE_MS,
  decideFailover,
  type GuardInput,
  type GuardVerdict,
  type HoldReason,
} from './split-brain-guard.js';
