/**
 * @packageDocumentation
 * `@mirrorkit/active-active`: consumers that stay correct when both regions take writes.
 *
 * - {@link Deduplicator}, {@link dedup} and {@link dedupBatch}: handle each region-prefixed key
 *   once, in bounded memory, optionally persisted in a compacted topic ({@link KafkaSeenKeyStore};
 *   one per cluster with {@link SeenKeyStores}); `dedupBatch` is the same for `eachBatch` runs,
 *   and costs less per record with a large seen-set.
 * - {@link CoPartitioning} and {@link PartitionedSeenKeyStore}: the same across a consumer group
 *   of many instances — partition p of a topic and of all its remote copies goes to one member,
 *   whose seen-set holds the keys of its partitions only, restored before it handles them.
 * - {@link HybridLogicalClock}, {@link LwwRegister}, {@link LwwMap} and {@link lww}:
 *   last-write-wins that follows causality even when region clocks drift.
 * - {@link stampMessage}: region key, HLC stamp and origin headers on outgoing records.
 *
 * @example
 * ```ts
 * import { Deduplicator, HybridLogicalClock, dedup, lww, stampMessage } from '@mirrorkit/active-active';
 *
 * const clock = new HybridLogicalClock({ region: 'us-east' });
 * await producer.send({ topic: 'accounts', messages: [stampMessage({ value: JSON.stringify(change) }, clock)] });
 *
 * const seen = new Deduplicator({ maxKeys: 1_000_000, windowMs: 24 * 3600_000 });
 * const apply = lww({ clock, store, writeOf: ({ message }) => parseChange(message) });
 * await consumer.run({ eachMessage: dedup(apply, { deduplicator: seen }) });
 * ```
 */
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';

export {
  CO_PARTITIONED_PROTOCOL,
  CoPartitioning,
  type CoPartitioningEvents,
  type CoPartitioningOptions,
  partitionNumbers,
} from './assignment/co-partitioned-assigner.js';
export {
  assignCoPartitioned,
  type CoPartitionedAssignment,
  type CoPartitionMember,
  type CoPartitionTopic,
  type PartitionCountMismatch,
  partitionCountMismatches,
} from './assignment/co-partitioned-assignment.js';
export { type BatchPayload, type DedupBatchHandler, dedupBatch } from './dedup/dedup-batch-handler.js';
export {
  type DedupExactlyOnceHandler,
  type DedupExactlyOnceOptions,
  dedupExactlyOnce,
  type ExactlyOncePayload,
  type ExactlyOnceStats,
} from './dedup/dedup-exactly-once.js';
export {
  type DedupEvents,
  type DedupHandler,
  type DedupHandlerStats,
  type DedupOptions,
  dedup,
  type MessagePayload,
} from './dedup/dedup-handler.js';
export { Deduplicator, type DeduplicatorOptions, type DeduplicatorStats } from './dedup/deduplicator.js';
export type { PersistRetryOptions } from './dedup/persist-retry.js';
export {
  MirrorKitClockError,
  MirrorKitDedupError,
  MirrorKitDedupPersistError,
  MirrorKitSeenKeyCodecError,
  MirrorKitSeenKeyStoreError,
  type SeenKeyStoreErrorCode,
} from './errors.js';
export {
  type ClockSkewEvent,
  compareStamps,
  formatStamp,
  type HlcStamp,
  HybridLogicalClock,
  type HybridLogicalClockOptions,
  parseStamp,
} from './lww/hybrid-logical-clock.js';
export { compareEntries, type LwwEntry, LwwMap, LwwRegister, mergeEntries } from './lww/lww.js';
export {
  type LwwEvents,
  type LwwHandler,
  type LwwOptions,
  type LwwStore,
  type LwwWrite,
  lww,
} from './lww/lww-handler.js';
export {
  HLC_HEADER,
  ORIGIN_HEADER,
  type OutgoingMessage,
  readOrigin,
  readStamp,
  stampMessage,
} from './lww/record-stamp.js';
export {
  PartitionedSeenKeyStore,
  type PartitionedSeenKeyStoreEvents,
  type PartitionedSeenKeyStoreOptions,
} from './seen-keys/partitioned-seen-key-store.js';
export {
  KafkaSeenKeyStore,
  type KafkaSeenKeyStoreOptions,
  type SeenKeyRestore,
  type SeenKeyStore,
} from './seen-keys/seen-key-store.js';
export {
  type OpenableSeenKeyStore,
  SeenKeyStores,
  type SeenKeyStoresEvents,
} from './seen-keys/seen-key-stores.js';
