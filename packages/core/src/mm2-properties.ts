import { MirrorKitConfigError, redact } from './config-error.js';
import { parseJavaProperties } from './java-properties.js';
import { policyFromConfig } from './policy-from-config.js';
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
  readonly tasksMax: number;
  readonly policy: ReplicationPolicy;
  /** Every setting of this flow after precedence (`source->target.key` over `key`). */
  readonly settings: ReadonlyMap<string, string>;
}

/** A parsed MM2 dedicated-mode configuration. */
export interface MirrorMakerConfig {
  readonly clusters: readonly string[];
  readonly clusterConfigs: ReadonlyMap<string, ClusterConfig>;
  /** Enabled flows only, in file order. */
  readonly flows: readonly FlowConfig[];
  /** Every flow named in the file, enabled or not. */
  readonly allFlows: readonly FlowConfig[];
  /** All entries after `${env:…}` substitution, with the line each came from. */
  readonly properties: ReadonlyMap<string, string>;
  readonly lines: ReadonlyMap<string, number>;
}

// Defaults as in Kafka 3.9's MirrorSourceConfig, MirrorCheckpointConfig, MirrorHeartbeatConfig,
// MirrorConnectorConfig, DefaultTopicFilter, DefaultGroupFilter and DefaultConfigPropertyFilter.
const DEFAULTS: Readonly<Record<string, string>> = {
  topics: '.*',
  'topics.exclude': '.*[\\-\\.]internal, .*\\.replica, __.*',
  groups: '.*',
  'groups.exclude': 'console-consumer-.*, connect-.*, __.*',
  'config.properties.exclude':
    'follower\\.replication\\.throttled\\.replicas, leader\\.replication\\.throttled\\.replicas, message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas',
  'emit.heartbeats.enabled': 'true',
  'emit.heartbeats.interval.seconds': '1',
  'emit.checkpoints.enabled': 'true',
  'emit.checkpoints.interval.seconds': '60',
  'sync.group.offsets.enabled': 'false',
  'sync.group.offsets.interval.seconds': '60',
  'refresh.topics.enabled': 'true',
  'refresh.topics.interval.seconds': '600',
  'refresh.groups.enabled': 'true',
  'refresh.groups.interval.seconds': '600',
  'sync.topic.configs.enabled': 'true',
  'sync.topic.configs.interval.seconds': '600',
  'sync.topic.acls.enabled': 'true',
  'sync.topic.acls.interval.seconds': '600',
  'emit.offset-syncs.enabled': 'true',
  'offset.lag.max': '100',
  'replication.factor': '2',
  'heartbeats.topic.replication.factor': '3',
  'checkpoints.topic.replication.factor': '3',
  'offset-syncs.topic.replication.factor': '3',
  'offset-syncs.topic.location': 'source',
  'tasks.max': '1',
};

const DEPRECATED: Readonly<Record<string, string>> = {
  'topics.blacklist': 'topics.exclude',
  'groups.blacklist': 'groups.exclude',
  'config.properties.blacklist': 'config.properties.exclude',
};

const FLOW_KEYS = new Set([
  ...Object.keys(DEFAULTS),
  ...Object.keys(DEPRECATED),
  'enabled',
  'replication.policy.class',
  'replication.policy.separator',
  'replication.policy.internal.topic.separator.enabled',
  'source.cluster.alias',
  'consumer.poll.timeout.ms',
  'admin.timeout.ms',
]);

// Top-level namespaces MM2 hands to its Connect workers and clients as they are.
const PASSTHROUGH = [
  /^offset\.storage\./,
  /^config\.storage\./,
  /^status\.storage\./,
  /^(key|value|header)\.converter(\.|$)/,
  /^task\./,
  /^worker\./,
  /^config\.providers(\.|$)/,
  /^(consumer|producer|admin)\./,
  /^(security|sasl|ssl)\./,
  /^client\./,
  /^metric\.reporters$/,
  /^metrics\./,
  /^dedicated\.mode\./,
  /^exactly\.once\.source\.support$/,
  /^listeners$/,
  /^plugin\./,
];

/** Options of {@link parseMirrorMakerProperties}. */
export interface ParseMirrorMakerOptions {
  /** Variables for `${env:NAME}` placeholders (MM2's EnvVarConfigProvider). Core reads no environment itself. */
  env?: Readonly<Record<string, string | undefined>>;
}

function compileList(key: string, raw: string, line: number | undefined): RegExp {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  // Java joins the list with '|' and calls matches(): a full match of any element.
  try {
    return new RegExp(`^(?:${parts.length > 0 ? parts.join('|') : '(?!)'})$`);
  } catch (error) {
    throw new MirrorKitConfigError(
      'CONFIG_INVALID_VALUE',
      `${key} is not a valid regular expression list: ${(error as Error).message}`,
      {
        key,
        ...(line !== undefined ? { line } : {}),
      },
    );
  }
}

/**
 * Parses an MM2 dedicated-mode `mm2.properties` into typed settings with MM2's defaults and
 * precedence (`A->B.key` over `key`). Keys MM2 would not understand, flows or settings naming an
 * alias not in `clusters`, and malformed values are {@link MirrorKitConfigError}s naming the line.
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
  if (clusters.length === 0)
    throw new MirrorKitConfigError('CONFIG_INVALID_VALUE', '"clusters" names no cluster', at('clusters'));
  for (const alias of clusters) {
    if (!/^[A-Za-z0-9._-]+$/.test(alias)) {
      throw new MirrorKitConfigError(
        'CONFIG_INVALID_VALUE',
        `cluster alias "${alias}" may only use [A-Za-z0-9._-]`,
        at('clusters'),
      );
    }
  }
  const known = new Set(clusters);

  const flowNames: [string, string][] = [];
  const clusterSettings = new Map<string, Map<string, string>>(clusters.map((c) => [c, new Map()]));
  for (const [key, value] of props) {
    if (key === 'clusters') continue;
    const arrow = key.indexOf('->');
    if (arrow > 0) {
      const source = key.slice(0, arrow);
      const rest = key.slice(arrow + 2);
      // Aliases may contain dots, so the target is the longest known alias the rest starts with.
      const target = clusters.filter((c) => rest.startsWith(`${c}.`)).sort((a, b) => b.length - a.length)[0];
      for (const alias of [source, target ?? rest.split('.')[0] ?? rest]) {
        if (!known.has(alias)) {
          throw new MirrorKitConfigError(
            'CONFIG_UNKNOWN_ALIAS',
            `${key} names cluster "${alias}", which is not in clusters (${clusters.join(', ')})`,
            at(key),
          );
        }
      }
      const setting = rest.slice((target as string).length + 1);
      if (!FLOW_KEYS.has(setting) && !/^(consumer|producer|admin)\./.test(setting)) {
        throw new MirrorKitConfigError(
          'CONFIG_UNKNOWN_KEY',
          `${key}: "${setting}" is not a MirrorMaker 2 flow setting`,
          at(key),
        );
      }
      if (setting === 'enabled' && !flowNames.some(([s, t]) => s === source && t === target))
        flowNames.push([source, target as string]);
      continue;
    }
    const alias = clusters.filter((c) => key.startsWith(`${c}.`)).sort((a, b) => b.length - a.length)[0];
    if (alias !== undefined) {
      (clusterSettings.get(alias) as Map<string, string>).set(key.slice(alias.length + 1), value);
      continue;
    }
    if (key.endsWith('.bootstrap.servers')) {
      throw new MirrorKitConfigError(
        'CONFIG_UNKNOWN_ALIAS',
        `${key} is for cluster "${key.slice(0, -'.bootstrap.servers'.length)}", which is not in clusters (${clusters.join(', ')})`,
        at(key),
      );
    }
    if (FLOW_KEYS.has(key) || PASSTHROUGH.some((pattern) => pattern.test(key))) continue;
    throw new MirrorKitConfigError('CONFIG_UNKNOWN_KEY', `"${key}" is not a MirrorMaker 2 setting`, at(key));
  }

  const clusterConfigs = new Map<string, ClusterConfig>();
  for (const alias of clusters) {
    const settings = clusterSettings.get(alias) as Map<string, string>;
    const bootstrap = settings.get('bootstrap.servers');
    if (!bootstrap) {
      throw new MirrorKitConfigError(
        'CONFIG_MISSING',
        `${alias}.bootstrap.servers is required for cluster "${alias}"`,
        { key: `${alias}.bootstrap.servers` },
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
      bootstrapServers: bootstrap
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0),
      client,
      consumer: pick('consumer.'),
      producer: pick('producer.'),
      admin: pick('admin.'),
    });
  }

  const allFlows = flowNames.map(([source, target]) => resolveFlow(props, lines, source, target));
  return {
    clusters,
    clusterConfigs,
    flows: allFlows.filter((f) => f.enabled),
    allFlows,
    properties: props,
    lines,
  };
}

function resolveFlow(
  props: ReadonlyMap<string, string>,
  lines: ReadonlyMap<string, number>,
  source: string,
  target: string,
): FlowConfig {
  const prefix = `${source}->${target}.`;
  const settings = new Map<string, string>(Object.entries(DEFAULTS));
  const lineOf = new Map<string, number | undefined>();
  const apply = (key: string, value: string, line: number | undefined): void => {
    const name = DEPRECATED[key] ?? key;
    // A deprecated name only fills in when the current name is not set at the same level.
    if (DEPRECATED[key] && (props.has(name) || props.has(`${prefix}${name}`))) return;
    settings.set(name, value);
    lineOf.set(name, line);
  };
  for (const [key, value] of props) if (FLOW_KEYS.has(key)) apply(key, value, lines.get(key));
  for (const [key, value] of props)
    if (key.startsWith(prefix)) apply(key.slice(prefix.length), value, lines.get(key));

  const where = (key: string): { key: string; line?: number } => {
    const line = lineOf.get(key);
    return line === undefined ? { key } : { key, line };
  };
  const bool = (key: string): boolean => {
    const raw = (settings.get(key) ?? '').trim().toLowerCase();
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw new MirrorKitConfigError(
      'CONFIG_INVALID_VALUE',
      `${key} must be true or false, got "${redact(key, settings.get(key) ?? '')}"`,
      where(key),
    );
  };
  const int = (key: string, min = 0): number => {
    const raw = (settings.get(key) ?? '').trim();
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
      throw new MirrorKitConfigError(
        'CONFIG_INVALID_VALUE',
        `${key} must be an integer >= ${min}, got "${raw}"`,
        where(key),
      );
    }
    return Number(raw);
  };
  const periodic = (name: string): PeriodicSetting => ({
    enabled: bool(`${name}.enabled`),
    intervalSeconds: int(`${name}.interval.seconds`),
  });
  const list = (key: string): RegExp => compileList(key, settings.get(key) ?? '', lineOf.get(key));
  const location = (settings.get('offset-syncs.topic.location') ?? '').trim();
  if (location !== 'source' && location !== 'target') {
    throw new MirrorKitConfigError(
      'CONFIG_INVALID_VALUE',
      `offset-syncs.topic.location must be source or target, got "${location}"`,
      where('offset-syncs.topic.location'),
    );
  }
  const enabledRaw = settings.get('enabled') ?? 'false';
  settings.set('enabled', enabledRaw);
  let policy: ReplicationPolicy;
  try {
    policy = policyFromConfig(settings);
  } catch (error) {
    throw new MirrorKitConfigError(
      'CONFIG_INVALID_VALUE',
      (error as Error).message,
      where('replication.policy.class'),
    );
  }
  return {
    source,
    target,
    enabled: bool('enabled'),
    topics: list('topics'),
    topicsExclude: list('topics.exclude'),
    groups: list('groups'),
    groupsExclude: list('groups.exclude'),
    configPropertiesExclude: list('config.properties.exclude'),
    emitHeartbeats: periodic('emit.heartbeats'),
    emitCheckpoints: periodic('emit.checkpoints'),
    syncGroupOffsets: periodic('sync.group.offsets'),
    refreshTopics: periodic('refresh.topics'),
    refreshGroups: periodic('refresh.groups'),
    syncTopicConfigs: periodic('sync.topic.configs'),
    syncTopicAcls: periodic('sync.topic.acls'),
    emitOffsetSyncs: bool('emit.offset-syncs.enabled'),
    offsetLagMax: int('offset.lag.max'),
    replicationFactor: int('replication.factor', -1),
    heartbeatsTopicReplicationFactor: int('heartbeats.topic.replication.factor', -1),
    checkpointsTopicReplicationFactor: int('checkpoints.topic.replication.factor', -1),
    offsetSyncsTopicReplicationFactor: int('offset-syncs.topic.replication.factor', -1),
    offsetSyncsTopicLocation: location,
    tasksMax: int('tasks.max', 1),
    policy,
    settings,
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
