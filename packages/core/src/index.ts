/**
 * @packageDocumentation
 * `@mirrorkit/core`: MirrorMaker 2 compatible replication policies, record codecs and offset
 * translation, and the text tables the CLI and the examples print. Pure logic, no I/O, apart from two readers over kafkajs (`readTopicToEnd`,
 * `readCheckpoints`) that join no consumer group, a groupless offset commit (`commitGroupOffsets`)
 * and `createTopicsAndWait`, which creates topics and waits until every partition has a leader.
 *
 * @example
 * ```ts
 * import { DefaultReplicationPolicy, decodeCheckpoint, encodeCheckpoint, remoteTopicPattern } from '@mirrorkit/core';
 *
 * const policy = new DefaultReplicationPolicy();
 * policy.formatRemoteTopic('us-east', 'orders'); // 'us-east.orders'
 * remoteTopicPattern(policy, 'orders').test('us-west.us-east.orders'); // true
 * const { key, value } = encodeCheckpoint({
 *   consumerGroupId: 'billing', topic: 'us-east.orders', partition: 0,
 *   upstreamOffset: 120n, downstreamOffset: 118n, metadata: '',
 * });
 * decodeCheckpoint(key, value).downstreamOffset; // 118n
 * ```
 */
import { registerCompressionCodecs } from './compression/register-codecs.js';

// kafkajs reads and writes gzip only; every MirrorKit package imports core, so importing any of
// them is enough for every kafkajs client in the process to handle zstd, lz4 and snappy too.
registerCompressionCodecs();

export { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec.js';
export {
  type CheckpointReadResult,
  type ReadCheckpointsOptions,
  readCheckpoints,
} from './checkpoint-reader.js';
export { type CodecErrorCode, type CodecRecordKind, MirrorKitCodecError } from './codec-error.js';
export { type CompressionErrorCode, MirrorKitCompressionError } from './compression/compression-error.js';
export {
  type CompressionObservation,
  type CompressionObserver,
  observeCompression,
} from './compression/compression-observer.js';
export {
  type CompressionCodecName,
  compressionNameOf,
  compressionTypeOf,
} from './compression/compression-type.js';
export { compressRecords, decompressRecords } from './compression/kafka-codecs.js';
export {
  guardFetches,
  installFetchGuard,
  type UndecodableBatchHandler,
} from './compression/kafkajs-fetch-guard.js';
export { registerCompressionCodecs } from './compression/register-codecs.js';
export { MirrorKitUndecodableBatchError } from './compression/undecodable-batch-error.js';
export {
  UndecodablePartitionHold,
  type UndecodablePartitionHoldOptions,
} from './compression/undecodable-partition-hold.js';
export { type ConfigErrorCode, isSecretKey, MirrorKitConfigError, redact } from './config-error.js';
export {
  DefaultReplicationPolicy,
  type DefaultReplicationPolicyOptions,
} from './default-replication-policy.js';
export { MirrorKitError } from './errors.js';
export {
  type FailoverPlanInput,
  type PartitionBounds,
  type PartitionOffset,
  planFailover,
} from './failover/failover-planner.js';
export type {
  FailoverPlan,
  FailoverPosition,
  PositionBasis,
  PositionProblem,
  PositionProblemKind,
} from './failover/failover-position.js';
export {
  applyFingerprintScans,
  type FingerprintScan,
  type FingerprintSearch,
  type FingerprintSearchOptions,
  fingerprintSearches,
  narrowByTimestamp,
  type WantedRecord,
} from './failover/fingerprint-match.js';
export { refineByFingerprint, scanFingerprints } from './failover/fingerprint-scan.js';
export {
  latestSyncs,
  proveBack,
  type ReplicationLag,
  replicationLag,
  syncKey,
  translateBack,
} from './failover/offset-sync-math.js';
export {
  decodeProgress,
  encodeProgress,
  PROGRESS_TOPIC,
  PROGRESS_VERSION,
} from './failover/progress-codec.js';
export { type ProgressRecords, readProgressRecords } from './failover/progress-reader.js';
export {
  FINGERPRINT_METADATA_PREFIX,
  type FingerprintedRecord,
  fingerprintMetadata,
  identityFromMetadata,
  type RecordIdentity,
  recordFingerprint,
} from './failover/record-fingerprint.js';
export {
  GROUP_ASSIGNMENT_NEED,
  type GroupAssignmentNeed,
  groupAssignmentNeedOf,
} from './group-assignment-need.js';
export {
  commitGroupOffsets,
  fetchCommittedOffsets,
  type GroupOffset,
  GroupOffsetsError,
  type GroupOffsetsErrorCode,
} from './group-offsets.js';
export { decodeHeartbeat, encodeHeartbeat, HEARTBEAT_VERSION } from './heartbeat-codec.js';
export {
  IdentityReplicationPolicy,
  type IdentityReplicationPolicyOptions,
} from './identity-replication-policy.js';
export { type JaasLoginModule, JaasSyntaxError, parseJaasConfig } from './jaas-config.js';
export { type ParsedProperties, parseJavaProperties } from './java-properties.js';
export {
  configDefBoolean,
  configDefInteger,
  configDefList,
  type InlineComment,
  inlineComment,
  type JavaIntegerType,
  javaParseBoolean,
  javaTrim,
} from './kafka-config-values.js';
export { type KafkaConnection, type KafkaConnectionOptions, kafkaConnection } from './kafka-connection.js';
export { type CopyProducerSettings, copyProducerSettings } from './mm2-copy-producer.js';
export type { DeadLetterQueueConfig, ErrorHandlingConfig } from './mm2-error-handling.js';
export {
  connectorNames,
  MM2_DEPRECATED_KEYS,
  MM2_FLOW_KEYS,
  MM2_PARSE_BOOLEAN_KEYS,
  type Mm2Connector,
  type Mm2KeySpec,
  type Mm2ValueType,
} from './mm2-key-catalog.js';
export { isFlowSetting, type Mm2KeyScope, mm2KeyScope } from './mm2-key-scope.js';
export {
  type ClusterConfig,
  type FlowConfig,
  groupFilter,
  type MirrorMakerConfig,
  type ParseMirrorMakerOptions,
  type PeriodicSetting,
  parseMirrorMakerProperties,
  topicFilter,
} from './mm2-properties.js';
export { formatNote, type Mm2NoteSeverity, type Mm2PropertyNote, shownValue } from './mm2-property-notes.js';
export {
  type SettingSupport,
  type SettingSupportKind,
  settingSupport,
  type UnsupportedSetting,
  unsupportedSettings,
} from './mm2-setting-support.js';
export {
  type CheckpointRecords,
  type GroupCheckpointSummary,
  latestGroupCheckpoints,
  newestHeartbeat,
  readCheckpointRecords,
  readOffsetSyncs,
  summarizeCheckpointGroups,
  type TimedCheckpoint,
} from './mm2-topic-readers.js';
export { decodeOffsetSync, encodeOffsetSync } from './offset-sync-codec.js';
export { OffsetSyncStore, SYNCS_PER_PARTITION } from './offset-sync-store.js';
export { ORIGIN_HEADER, type StampableMessage, stampOrigin } from './origin-stamp.js';
export { PartitionPauses } from './partition-pauses.js';
export { MirrorKitPolicyError, type PolicyErrorCode } from './policy-error.js';
export { policyFromConfig } from './policy-from-config.js';
export type { Checkpoint, EncodedRecord, Heartbeat, OffsetSync, ProgressRecord } from './records.js';
export {
  MirrorKitRegionKeyError,
  parseRegionKey,
  type RegionKey,
  regionKey,
  tryParseRegionKey,
} from './region-key.js';
export {
  isRemoteCopyOf,
  type RemoteTopicPatternOptions,
  remoteTopicPattern,
} from './remote-topic-pattern.js';
export type { ReplicationPolicy } from './replication-policy.js';
export { count, duration, type Palette, palette, textTable } from './text-table.js';
export {
  pemBlocks,
  type ReadStoreFile,
  type TlsOptions,
  TlsSettingProblem,
  tlsMaterial,
} from './tls-material.js';
export {
  type CreateTopicsAndWaitOptions,
  createTopicsAndWait,
  defaultReplicationFactor,
  ensureInternalTopic,
  TopicAdminError,
  type TopicAdminErrorCode,
} from './topic-admin.js';
export {
  type ReadRecord,
  type ReadTopicOptions,
  readTopicToEnd,
  TopicReaderError,
  type TopicReaderErrorCode,
  visitTopicToEnd,
} from './topic-reader.js';
export { TOPIC_WATCH_INTERVAL_SECONDS } from './topic-watch-interval.js';
export {
  type GroupCheckpoint,
  type TranslateOffsetsOptions,
  translateOffsets,
} from './translate-offsets.js';
