import { isSecretKey, MirrorKitConfigError } from './config-error.js';
import { parseJavaProperties } from './java-properties.js';
import { configDefBoolean, configDefList, javaTrim } from './kafka-config-values.js';
import type { ErrorHandlingConfig } from './mm2-error-handling.js';
import { fileNotes } from './mm2-file-notes.js';
import { resolveFlow } from './mm2-flow.js';
import { isFlowSetting, mm2KeyScope } from './mm2-key-scope.js';
import { inlineCommentHint, type Mm2PropertyNote, shownValue } from './mm2-property-notes.js';
import type { ReplicationPolicy } from './replication-policy.js';

/** One cluster of an mm2.properties file: `<alias>.*` settings. */
export interface ClusterConfig {
  readonly alias: string;
  readonly bootstrapServers: readonly string[];
  /** Client settings shared by every client of this cluster (`<alias>.security.protocol`, …). */
  readonly client: Readonly<Record<string, string>>;
  /** `<alias>.consumer.*`, `<alias>.producer.*`, `<alias>.admin.*` overrides, prefix removed. */
  readonly consumer: Readonly<Record<string, string>>;
  readonly producer: Readonly<Record<string, string>>;
  readonly admin: Readonly<Record<string, string>>;
}

/** An interval-driven MM2 task switch (`emit.checkpoints.*` and friends). */
export interface PeriodicSetting {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
}

/** The resolved settings of one replication flow `source->target`. */
export interface FlowConfig {
  readonly source: string;
  readonly target: string;
  readonly enabled: boolean;
  /** Topic include/exclude as full-match regexes (MM2's DefaultTopicFilter). */
  readonly topics: RegExp;
  readonly topicsExclude: RegExp;
  readonly groups: RegExp;
  readonly groupsExclude: RegExp;
  readonly configPropertiesExclude: RegExp;
  readonly emitHeartbeats: PeriodicSetting;
  readonly emitCheckpoints: PeriodicSetting;
  readonly syncGroupOffsets: PeriodicSetting;
  readonly refreshTopics: PeriodicSetting;
  readonly refreshGroups: PeriodicSetting;
  readonly syncTopicConfigs: PeriodicSetting;
  readonly syncTopicAcls: PeriodicSetting;
  readonly emitOffsetSyncs: boolean;
  readonly offsetLagMax: number;
  readonly replicationFactor: number;
  readonly heartbeatsTopicReplicationFactor: number;
  readonly checkpointsTopicReplicationFactor: number;
  readonly offsetSyncsTopicReplicationFactor: number;
  readonly offsetSyncsTopicLocation: 'source' | 'target';
  /** What the flow does with a record its target never accepts (`errors.tolerance`, dead letter queue). */
  readonly errors: ErrorHandlingConfig;
  readonly tasksMax: number;
  readonly policy: ReplicationPolicy;
  /** Every setting of this flow after precedence (`source->target.key` over `key`). */
  readonly settings: ReadonlyMap<string, string>;
  /** The full key each setting was taken from (`source->target.key` or `key`); absent for defaults. */
  readonly origins: ReadonlyMap<string, string>;
}

/** A parsed MM2 dedicated-mode configuration. */
export interface MirrorMakerConfig {
  readonly clusters: readonly string[];
  readonly clusterConfigs: ReadonlyMap<string, ClusterConfig>;
  /** Enabled flows only, in file order. */
  readonly flows: readonly FlowConfig[];
  /** Every flow named in the file (`A->B.enabled`), enabled or not; every pair with a top-level `enabled`. */
  readonly allFlows: readonly FlowConfig[];
  /** All entries after `${env:…}` substitution, with the line each came from. */
  readonly properties: ReadonlyMap<string, string>;
  readonly lines: ReadonlyMap<string, number>;
  /**
   * What a person should know about values of the file, in line order: inline comments (MM2 reads
   * them as part of the value) and values MM2 reads differently from how they look. Never a secret.
   */
  readonly notes: readonly Mm2PropertyNote[];
}

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

// Kafka's ClientUtils.parseAndValidateAddresses (Utils.HOST_PORT_PATTERN, matched whole).
const KAFKA_HOST_PORT = /^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$/;

/** Options of {@link parseMirrorMakerProperties}. */
export interface ParseMirrorMakerOptions {
  /** Variables for `${env:NAME}` placeholders (MM2's EnvVarConfigProvider). Core reads no environment itself. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses an MM2 dedicated-mode `mm2.properties` into typed settings with MM2's defaults and
 * precedence (`A->B.key` over `key`), each value meaning what Kafka 3.9's MM2 makes of it: no inline
 * comments (`true # on` is not true), ConfigDef types for flow settings, `Boolean.parseBoolean` for
 * the flow switches. Keys MM2 would not understand, flows or settings naming an alias not in
 * `clusters`, and values MM2 would refuse are {@link MirrorKitConfigError}s naming the full key and
 * the line; values MM2 reads differently from how they look are {@link MirrorMakerConfig.notes}.
 */
export function parseMirrorMakerProperties(
  text: string,
  options: ParseMirrorMakerOptions = {},
): MirrorMakerConfig {
  const parsed = parseJavaProperties(text);
  const lines = parsed.lines;
  const at = (key: string): { key: string; line?: number } => {
    const line = lines.get(key);
    return line === undefined ? { key } : { key, line };
  };
  const props = new Map<string, string>();
  for (const [key, value] of parsed.entries) {
    props.set(
      key,
      value.replace(/\$\{env:([^}]*)\}/g, (_match, name: string) => {
        const resolved = options.env?.[name];
        if (resolved === undefined) {
          throw new MirrorKitConfigError(
            'CONFIG_MISSING',
            `${key} refers to environment variable ${name}, which is not set`,
            at(key),
          );
        }
        return resolved;
      }),
    );
  }
  const invalid = (key: string, message: string): never => {
    const raw = parsed.entries.get(key) ?? '';
    throw new MirrorKitConfigError(
      'CONFIG_INVALID_VALUE',
      `${message}${isSecretKey(key) ? '' : inlineCommentHint(raw)}`,
      at(key),
    );
  };

  const clustersRaw = props.get('clusters');
  if (clustersRaw === undefined)
    throw new MirrorKitConfigError(
      'CONFIG_MISSING',
      '"clusters" is required (e.g. clusters = us-east, us-west)',
    );
  const clusters = clustersRaw
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (clusters.length === 0) invalid('clusters', '"clusters" names no cluster');
  for (const alias of clusters) {
    if (!/^[A-Za-z0-9._-]+$/.test(alias))
      invalid('clusters', `cluster alias "${alias}" may only use [A-Za-z0-9._-]`);
  }

  const flowNames: [string, string][] = [];
  const clusterSettings = new Map<string, Map<string, string>>(clusters.map((c) => [c, new Map()]));
  for (const [key, value] of props) {
    const scope = mm2KeyScope(key, clusters);
    switch (scope.kind) {
      case 'clusters':
      case 'flow-default':
      case 'passthrough':
        break;
      case 'unknown-alias':
        throw new MirrorKitConfigError(
          'CONFIG_UNKNOWN_ALIAS',
          `${key} ${key.includes('->') ? 'names' : 'is for'} cluster "${scope.alias}", which is not in clusters (${clusters.join(', ')})`,
          at(key),
        );
      case 'flow': {
        const { source, target, setting } = scope;
        if (!isFlowSetting(setting)) {
          throw new MirrorKitConfigError(
            'CONFIG_UNKNOWN_KEY',
            `${key}: "${setting}" is not a MirrorMaker 2 flow setting`,
            at(key),
          );
        }
        if (setting === 'enabled' && !flowNames.some(([s, t]) => s === source && t === target))
          flowNames.push([source, target]);
        break;
      }
      case 'cluster':
        (clusterSettings.get(scope.alias) as Map<string, string>).set(scope.setting, value);
        break;
      case 'unknown':
        throw new MirrorKitConfigError(
          'CONFIG_UNKNOWN_KEY',
          `"${key}" is not a MirrorMaker 2 setting`,
          at(key),
        );
    }
  }
  // A top-level `enabled` reaches the connectors of every pair MM2 runs, so it names them all.
  if (props.has('enabled')) {
    for (const source of clusters)
      for (const target of clusters)
        if (source !== target && !flowNames.some(([s, t]) => s === source && t === target))
          flowNames.push([source, target]);
  }

  // MirrorMakerConfig and every client declare these with ConfigDef: MM2 does not start otherwise.
  for (const key of ['security.protocol', ...clusters.map((c) => `${c}.security.protocol`)]) {
    const value = props.get(key);
    if (value !== undefined && !SECURITY_PROTOCOLS.includes(javaTrim(value).toUpperCase()))
      invalid(
        key,
        `${key} must be one of ${SECURITY_PROTOCOLS.join(', ')} (any case), got ${shownValue(key, value)}`,
      );
  }
  const internalRest = props.get('dedicated.mode.enable.internal.rest');
  if (internalRest !== undefined && configDefBoolean(internalRest) === undefined)
    invalid(
      'dedicated.mode.enable.internal.rest',
      `dedicated.mode.enable.internal.rest must be true or false (MM2 does not start otherwise), got "${internalRest}"`,
    );

  const clusterConfigs = new Map<string, ClusterConfig>();
  for (const alias of clusters) {
    // Kafka's clients read every value they declare trimmed.
    const settings = new Map(
      [...(clusterSettings.get(alias) as Map<string, string>)].map(([k, v]) => [k, javaTrim(v)]),
    );
    const bootstrapKey = `${alias}.bootstrap.servers`;
    const bootstrapServers = configDefList(settings.get('bootstrap.servers') ?? '').filter((b) => b !== '');
    if (bootstrapServers.length === 0) {
      throw new MirrorKitConfigError(
        'CONFIG_MISSING',
        `${bootstrapKey} is required for cluster "${alias}"`,
        at(bootstrapKey),
      );
    }
    for (const server of bootstrapServers) {
      const match = KAFKA_HOST_PORT.exec(server);
      if (!match?.[1])
        invalid(
          bootstrapKey,
          `${bootstrapKey}: "${server}" is not host:port (Kafka clients refuse it: "Invalid url in bootstrap.servers")`,
        );
    }
    const pick = (prefix: string): Record<string, string> =>
      Object.fromEntries(
        [...settings].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
      );
    const client = Object.fromEntries(
      [...settings].filter(([k]) => !/^(consumer|producer|admin)\./.test(k) && k !== 'bootstrap.servers'),
    );
    clusterConfigs.set(alias, {
      alias,
      bootstrapServers,
      client,
      consumer: pick('consumer.'),
      producer: pick('producer.'),
      admin: pick('admin.'),
    });
  }

  const resolved = flowNames.map(([source, target]) => resolveFlow(props, lines, source, target));
  const allFlows = resolved.map((r) => r.flow);
  const notes = [
    ...resolved.flatMap((r) => r.notes),
    ...fileNotes(parsed.entries, lines, clusters, allFlows),
  ].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return {
    clusters,
    clusterConfigs,
    flows: allFlows.filter((f) => f.enabled),
    allFlows,
    properties: props,
    lines,
    notes,
  };
}

/** MM2's DefaultTopicFilter for a flow: included and not excluded. */
export function topicFilter(flow: FlowConfig): (topic: string) => boolean {
  return (topic) => flow.topics.test(topic) && !flow.topicsExclude.test(topic);
}

/** MM2's DefaultGroupFilter for a flow: included and not excluded. */
export function groupFilter(flow: FlowConfig): (group: string) => boolean {
  return (group) => flow.groups.test(group) && !flow.groupsExclude.test(group);
}
