/**
 * @packageDocumentation
 * `@mirrorkit/replicator`: a sidecar that does MirrorMaker 2's job from the same `mm2.properties`,
 * writing the same remote topics, offset syncs, checkpoints and heartbeats, so MM2's tools and
 * `@mirrorkit/client` fail over on its output. Processes with the same file share the partitions
 * through Kafka consumer groups.
 *
 * @example
 * ```ts
 * import { startReplicator, jsonLogger } from '@mirrorkit/replicator';
 * const replicator = await startReplicator({
 *   properties: readFileSync('mm2.properties', 'utf8'),
 *   env: process.env,      // ${env:NAME} secrets
 *   httpPort: 9090,        // /healthz, /metrics
 *   log: jsonLogger(),
 * });
 * process.on('SIGTERM', () => void replicator.stop());
 * ```
 */
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';

// The one classification of settings MirrorKit does not act on lives in core (the CLI's
// `config check` shows it too); re-exported for those who import it from here.
export { unsupportedSettings } from '@mirrorkit/core';
export type { FlowStatus, StoppedPartition } from './flow-status.js';
export { DEFAULT_LIVE_DOWN_BOUND_MS, HTTP_ROUTES, type ReplicatorHealth } from './http-server.js';
export { kafkaConnection, type UnsupportedSetting } from './kafka-connection.js';
export { jsonLogger, type ReplicatorLogger, silentLogger } from './logger.js';
export type { ReplicatorMetrics } from './metrics.js';
export {
  type Replicator,
  type ReplicatorFlow,
  type ReplicatorOptions,
  startReplicator,
} from './replicator.js';
export { MirrorKitReplicatorError, type ReplicatorErrorCode } from './replicator-error.js';
