/**
 * The settings MM2 3.9 gives the connectors of a replication flow (`A->B.key`, or `key` for every
 * flow), with the type their ConfigDef declares: MirrorConnectorConfig (all three connectors),
 * MirrorSourceConfig, MirrorCheckpointConfig, MirrorHeartbeatConfig, and `tasks.max` from Connect's
 * ConnectorConfig. A connector whose ConfigDef cannot parse a value is refused by Connect, so MM2
 * runs without it; MirrorKit refuses the file instead.
 */

/** A ConfigDef type. */
export type Mm2ValueType = 'boolean' | 'short' | 'int' | 'long' | 'list' | 'class' | 'string';

/** The connectors MM2 runs for each flow. */
export type Mm2Connector = 'source' | 'checkpoint' | 'heartbeat';

/** What MM2 declares for one flow setting. */
export interface Mm2KeySpec {
  readonly type: Mm2ValueType;
  /** The connectors whose ConfigDef declares the key, i.e. which ones refuse a bad value. */
  readonly connectors: readonly Mm2Connector[];
  /** ConfigDef ValidString: the trimmed value must be one of these, exactly. */
  readonly oneOf?: readonly string[];
  /** ConfigDef Range.atLeast. */
  readonly atLeast?: number;
  /** CLASS keys: the class MM2 uses when the key is not set (the only one MirrorKit has). */
  readonly defaultClass?: string;
  /** `oneOf` compared ignoring case (Connect's CaseInsensitiveValidString). */
  readonly caseInsensitive?: boolean;
}

const ALL: readonly Mm2Connector[] = ['source', 'checkpoint', 'heartbeat'];
const SOURCE: readonly Mm2Connector[] = ['source'];
const CHECKPOINT: readonly Mm2Connector[] = ['checkpoint'];
const SOURCE_AND_CHECKPOINT: readonly Mm2Connector[] = ['source', 'checkpoint'];
const HEARTBEAT: readonly Mm2Connector[] = ['heartbeat'];

const MIRROR = 'org.apache.kafka.connect.mirror';

/** Every flow setting MM2 declares, by name. */
export const MM2_FLOW_KEYS: ReadonlyMap<string, Mm2KeySpec> = new Map<string, Mm2KeySpec>([
  // MirrorConnectorConfig.BASE_CONNECTOR_CONFIG_DEF and ConnectorConfig
  ['enabled', { type: 'boolean', connectors: ALL }],
  ['source.cluster.alias', { type: 'string', connectors: ALL }],
  ['target.cluster.alias', { type: 'string', connectors: ALL }],
  ['admin.timeout.ms', { type: 'long', connectors: ALL }],
  [
    'replication.policy.class',
    { type: 'class', connectors: ALL, defaultClass: `${MIRROR}.DefaultReplicationPolicy` },
  ],
  ['replication.policy.separator', { type: 'string', connectors: ALL }],
  ['replication.policy.internal.topic.separator.enabled', { type: 'boolean', connectors: ALL }],
  [
    'forwarding.admin.class',
    { type: 'class', connectors: ALL, defaultClass: 'org.apache.kafka.clients.admin.ForwardingAdmin' },
  ],
  ['metric.reporters', { type: 'list', connectors: ALL }],
  ['auto.include.jmx.reporter', { type: 'boolean', connectors: ALL }],
  ['tasks.max', { type: 'int', connectors: ALL, atLeast: 1 }],
  // MirrorSourceConfig
  ['topics', { type: 'list', connectors: SOURCE }],
  ['topics.exclude', { type: 'list', connectors: SOURCE }],
  ['topics.blacklist', { type: 'list', connectors: SOURCE }],
  ['config.properties.exclude', { type: 'list', connectors: SOURCE }],
  ['config.properties.blacklist', { type: 'list', connectors: SOURCE }],
  [
    'topic.filter.class',
    { type: 'class', connectors: SOURCE_AND_CHECKPOINT, defaultClass: `${MIRROR}.DefaultTopicFilter` },
  ],
  [
    'config.property.filter.class',
    { type: 'class', connectors: SOURCE, defaultClass: `${MIRROR}.DefaultConfigPropertyFilter` },
  ],
  ['consumer.poll.timeout.ms', { type: 'long', connectors: SOURCE_AND_CHECKPOINT }],
  ['refresh.topics.enabled', { type: 'boolean', connectors: SOURCE }],
  ['refresh.topics.interval.seconds', { type: 'long', connectors: SOURCE }],
  ['sync.topic.configs.enabled', { type: 'boolean', connectors: SOURCE }],
  ['sync.topic.configs.interval.seconds', { type: 'long', connectors: SOURCE }],
  [
    'use.incremental.alter.configs',
    { type: 'string', connectors: SOURCE, oneOf: ['requested', 'required', 'never'] },
  ],
  ['sync.topic.acls.enabled', { type: 'boolean', connectors: SOURCE }],
  ['sync.topic.acls.interval.seconds', { type: 'long', connectors: SOURCE }],
  ['replication.factor', { type: 'int', connectors: SOURCE }],
  ['offset-syncs.topic.replication.factor', { type: 'short', connectors: SOURCE }],
  ['offset.lag.max', { type: 'long', connectors: SOURCE }],
  [
    'offset-syncs.topic.location',
    { type: 'string', connectors: SOURCE_AND_CHECKPOINT, oneOf: ['source', 'target'] },
  ],
  ['add.source.alias.to.metrics', { type: 'boolean', connectors: SOURCE }],
  ['emit.offset-syncs.enabled', { type: 'boolean', connectors: SOURCE }],
  // MirrorCheckpointConfig
  ['groups', { type: 'list', connectors: CHECKPOINT }],
  ['groups.exclude', { type: 'list', connectors: CHECKPOINT }],
  ['groups.blacklist', { type: 'list', connectors: CHECKPOINT }],
  [
    'group.filter.class',
    { type: 'class', connectors: CHECKPOINT, defaultClass: `${MIRROR}.DefaultGroupFilter` },
  ],
  ['refresh.groups.enabled', { type: 'boolean', connectors: CHECKPOINT }],
  ['refresh.groups.interval.seconds', { type: 'long', connectors: CHECKPOINT }],
  ['emit.checkpoints.enabled', { type: 'boolean', connectors: CHECKPOINT }],
  ['emit.checkpoints.interval.seconds', { type: 'long', connectors: CHECKPOINT }],
  ['sync.group.offsets.enabled', { type: 'boolean', connectors: CHECKPOINT }],
  ['sync.group.offsets.interval.seconds', { type: 'long', connectors: CHECKPOINT }],
  ['checkpoints.topic.replication.factor', { type: 'short', connectors: CHECKPOINT }],
  // MirrorHeartbeatConfig
  ['emit.heartbeats.enabled', { type: 'boolean', connectors: HEARTBEAT }],
  ['emit.heartbeats.interval.seconds', { type: 'long', connectors: HEARTBEAT }],
  ['heartbeats.topic.replication.factor', { type: 'short', connectors: HEARTBEAT }],
  // Connect's ConnectorConfig error handling, declared by every connector.
  ['errors.tolerance', { type: 'string', connectors: ALL, oneOf: ['none', 'all'], caseInsensitive: true }],
  ['errors.retry.timeout', { type: 'long', connectors: ALL }],
  ['errors.retry.delay.max.ms', { type: 'long', connectors: ALL }],
  ['errors.log.enable', { type: 'boolean', connectors: ALL }],
  ['errors.log.include.messages', { type: 'boolean', connectors: ALL }],
  // Connect declares the dead letter queue for sink connectors only: MM2's connectors never see a
  // bad value (nor act on a good one); MirrorKit's sidecar writes the records it skips there.
  ['errors.deadletterqueue.topic.name', { type: 'string', connectors: [] }],
  ['errors.deadletterqueue.topic.replication.factor', { type: 'short', connectors: [] }],
  ['errors.deadletterqueue.context.headers.enable', { type: 'boolean', connectors: [] }],
]);

/**
 * Flow settings MirrorMakerConfig reads itself with `Boolean.parseBoolean` to decide which cluster
 * pairs get connectors at all (`clusterPairs`), before any ConfigDef sees them: for these a value
 * that is not exactly `true` means false, and MM2 runs on.
 */
export const MM2_PARSE_BOOLEAN_KEYS: ReadonlySet<string> = new Set(['enabled', 'emit.heartbeats.enabled']);

/** Deprecated flow settings and the names that replaced them (MM2's ConfigUtils.translateDeprecatedConfigs). */
export const MM2_DEPRECATED_KEYS: Readonly<Record<string, string>> = {
  'topics.blacklist': 'topics.exclude',
  'groups.blacklist': 'groups.exclude',
  'config.properties.blacklist': 'config.properties.exclude',
};

/** The connectors of a spec, for messages: "MirrorSourceConnector and MirrorCheckpointConnector". */
export function connectorNames(spec: Mm2KeySpec): string {
  const names = spec.connectors.map(
    (c) => `Mirror${c === 'source' ? 'Source' : c === 'checkpoint' ? 'Checkpoint' : 'Heartbeat'}Connector`,
  );
  if (names.length === 0) return 'no connector (Connect reads it for sink connectors only)';
  return names.length === 3 ? 'every connector of the flow' : names.join(' and ');
}
