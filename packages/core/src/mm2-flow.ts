import { isSecretKey, MirrorKitConfigError } from './config-error.js';
import {
  configDefBoolean,
  configDefInteger,
  inlineComment,
  javaParseBoolean,
  javaTrim,
} from './kafka-config-values.js';
import { resolveErrorHandling } from './mm2-error-handling.js';
import {
  connectorNames,
  MM2_DEPRECATED_KEYS,
  MM2_FLOW_KEYS,
  MM2_PARSE_BOOLEAN_KEYS,
  type Mm2KeySpec,
} from './mm2-key-catalog.js';
import type { FlowConfig, PeriodicSetting } from './mm2-properties.js';
import { inlineCommentHint, type Mm2PropertyNote, shownValue } from './mm2-property-notes.js';
import { policyFromConfig } from './policy-from-config.js';
import type { ReplicationPolicy } from './replication-policy.js';

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
  // Kafka Connect's ConnectorConfig and SinkConnectorConfig.
  'errors.tolerance': 'none',
  'errors.log.enable': 'false',
  'errors.log.include.messages': 'false',
  'errors.deadletterqueue.topic.name': '',
  'errors.deadletterqueue.topic.replication.factor': '3',
  'errors.deadletterqueue.context.headers.enable': 'false',
};

const POLICY_CLASSES = new Set([
  'org.apache.kafka.connect.mirror.DefaultReplicationPolicy',
  'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
]);

const JAVA_CLASS_NAME = /^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$/u;

const LOST_WITH: Readonly<Record<string, string>> = {
  source: 'replication',
  checkpoint: 'checkpoints and group offset sync',
  heartbeat: 'heartbeats',
};

function refusedBy(spec: Mm2KeySpec): string {
  if (spec.connectors.length === 0)
    return "MM2's connectors ignore it; MirrorKit's replicator reads it and refuses the value";
  const lost =
    spec.connectors.length === 3 ? 'anything' : spec.connectors.map((c) => LOST_WITH[c]).join(' or ');
  return `MM2's ${connectorNames(spec)} would refuse it (Kafka ConfigDef), leaving the flow without ${lost}`;
}

function compileList(raw: string): RegExp {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  // Java joins the list with '|' and calls matches(): a full match of any element.
  return new RegExp(`^(?:${parts.length > 0 ? parts.join('|') : '(?!)'})$`);
}

/** What resolving one flow gives: its config, and the notes about its own switches. */
export interface ResolvedFlow {
  readonly flow: FlowConfig;
  readonly notes: readonly Mm2PropertyNote[];
}

/**
 * Resolves flow `source->target` as MM2 configures its connectors (`connectorBaseConfig`): the
 * defaults, then top-level flow settings, then `source->target.` ones. Every value set in the file is
 * read with the type its ConfigDef declares; one MM2 would refuse is a {@link MirrorKitConfigError}
 * naming the full key and its line. The two switches MM2 reads with `Boolean.parseBoolean` first
 * (`enabled`, `emit.heartbeats.enabled`) mean false unless exactly `true`, with a note.
 */
export function resolveFlow(
  props: ReadonlyMap<string, string>,
  lines: ReadonlyMap<string, number>,
  source: string,
  target: string,
): ResolvedFlow {
  const prefix = `${source}->${target}.`;
  const settings = new Map<string, string>(Object.entries(DEFAULTS));
  const origins = new Map<string, string>();
  const apply = (key: string, setting: string, value: string): void => {
    const name = MM2_DEPRECATED_KEYS[setting] ?? setting;
    // A deprecated name only fills in when the current name is not set.
    if (MM2_DEPRECATED_KEYS[setting] && (props.has(name) || props.has(`${prefix}${name}`))) return;
    settings.set(name, value);
    origins.set(name, key);
  };
  for (const [key, value] of props)
    if (MM2_FLOW_KEYS.has(key) || key in MM2_DEPRECATED_KEYS) apply(key, key, value);
  for (const [key, value] of props) if (key.startsWith(prefix)) apply(key, key.slice(prefix.length), value);

  const keyOf = (name: string): string => origins.get(name) ?? name;
  const where = (name: string): { key: string; line?: number } => {
    const key = keyOf(name);
    const line = origins.has(name) ? lines.get(key) : undefined;
    return line === undefined ? { key } : { key, line };
  };
  const value = (name: string): string => settings.get(name) ?? '';
  const refuse = (name: string, expectation: string): never => {
    const key = keyOf(name);
    throw new MirrorKitConfigError(
      'CONFIG_INVALID_VALUE',
      `${key} = ${shownValue(key, value(name))} ${expectation}${isSecretKey(key) ? '' : inlineCommentHint(value(name))}`,
      where(name),
    );
  };

  for (const [name, spec] of MM2_FLOW_KEYS) {
    if (origins.has(name) && !MM2_PARSE_BOOLEAN_KEYS.has(name)) checkValue(name, spec, value(name), refuse);
  }

  const bool = (name: string): boolean => configDefBoolean(value(name)) === true;
  const num = (name: string, min?: { value: number; why: string }): number => {
    const spec = MM2_FLOW_KEYS.get(name);
    const parsed = spec && spec.type !== 'boolean' ? configDefInteger(value(name), intType(spec)) : undefined;
    if (parsed === undefined) return refuse(name, 'must be a whole number');
    if (min !== undefined && parsed < BigInt(min.value))
      refuse(name, `must be at least ${min.value} (${min.why})`);
    return Number(parsed);
  };
  const replicationFactor = (name: string): number =>
    num(name, { value: -1, why: '-1 is the broker default; Kafka refuses to create a topic with less' });
  const periodic = (name: string): PeriodicSetting => {
    const intervalSeconds = num(`${name}.interval.seconds`);
    // MM2's Scheduler skips a task whose interval is negative.
    return { enabled: bool(`${name}.enabled`) && intervalSeconds >= 0, intervalSeconds };
  };
  const list = (name: string): RegExp => {
    try {
      return compileList(value(name));
    } catch (error) {
      return refuse(name, `is not a valid regular expression list (${(error as Error).message})`);
    }
  };

  // MirrorMakerConfig.clusterPairs gives a pair connectors when its own `enabled` or its heartbeats
  // switch is exactly true (Boolean.parseBoolean); the connectors then read `enabled` with ConfigDef.
  const ownEnabled = props.get(`${prefix}enabled`);
  const heartbeatsRaw = value('emit.heartbeats.enabled');
  const hasConnectors = javaParseBoolean(ownEnabled) || javaParseBoolean(heartbeatsRaw);
  const enabledRaw = settings.get('enabled') ?? 'false';
  const enabled = hasConnectors && configDefBoolean(enabledRaw) === true;
  const heartbeatsInterval = num('emit.heartbeats.interval.seconds');
  const emitHeartbeats: PeriodicSetting = {
    enabled: hasConnectors && configDefBoolean(heartbeatsRaw) === true && heartbeatsInterval >= 0,
    intervalSeconds: heartbeatsInterval,
  };

  const notes: Mm2PropertyNote[] = [];
  const pair = `${source}->${target}`;
  if (origins.get('enabled') === `${prefix}enabled`)
    notes.push(...enabledNotes(where('enabled'), enabledRaw, pair, hasConnectors, enabled, emitHeartbeats));
  if (origins.get('emit.heartbeats.enabled') === `${prefix}emit.heartbeats.enabled`)
    notes.push(...heartbeatsNotes(where('emit.heartbeats.enabled'), heartbeatsRaw, pair, emitHeartbeats));

  const location = javaTrim(value('offset-syncs.topic.location')) as 'source' | 'target';
  let policy: ReplicationPolicy;
  try {
    // DefaultReplicationPolicy.configure reads the raw text with Boolean.parseBoolean, after the
    // connector's ConfigDef accepted it: `true ` (trailing blank) is false there.
    const internal = settings.get('replication.policy.internal.topic.separator.enabled');
    policy = policyFromConfig(
      internal === undefined
        ? settings
        : new Map(settings).set(
            'replication.policy.internal.topic.separator.enabled',
            String(javaParseBoolean(internal)),
          ),
    );
  } catch (error) {
    const message = (error as Error).message;
    const name = /separator/.test(message) ? 'replication.policy.separator' : 'replication.policy.class';
    return refuse(name, `cannot make a replication policy (${message})`);
  }
  const errorHandling = resolveErrorHandling(settings, where, pair);
  notes.push(...errorHandling.notes);
  const flow: FlowConfig = {
    source,
    target,
    enabled,
    topics: list('topics'),
    topicsExclude: list('topics.exclude'),
    groups: list('groups'),
    groupsExclude: list('groups.exclude'),
    configPropertiesExclude: list('config.properties.exclude'),
    emitHeartbeats,
    emitCheckpoints: periodic('emit.checkpoints'),
    syncGroupOffsets: periodic('sync.group.offsets'),
    refreshTopics: periodic('refresh.topics'),
    refreshGroups: periodic('refresh.groups'),
    syncTopicConfigs: periodic('sync.topic.configs'),
    syncTopicAcls: periodic('sync.topic.acls'),
    emitOffsetSyncs: bool('emit.offset-syncs.enabled'),
    offsetLagMax: num('offset.lag.max'),
    replicationFactor: replicationFactor('replication.factor'),
    heartbeatsTopicReplicationFactor: replicationFactor('heartbeats.topic.replication.factor'),
    checkpointsTopicReplicationFactor: replicationFactor('checkpoints.topic.replication.factor'),
    offsetSyncsTopicReplicationFactor: replicationFactor('offset-syncs.topic.replication.factor'),
    offsetSyncsTopicLocation: location,
    errors: errorHandling.errors,
    tasksMax: num('tasks.max'),
    policy,
    settings,
    origins,
  };
  return { flow, notes };
}

function intType(spec: Mm2KeySpec): 'short' | 'int' | 'long' {
  return spec.type === 'short' || spec.type === 'int' ? spec.type : 'long';
}

/** Refuses `raw` for `name` where the ConfigDef of MM2's connectors would. */
function checkValue(
  name: string,
  spec: Mm2KeySpec,
  raw: string,
  refuse: (name: string, expectation: string) => never,
): void {
  switch (spec.type) {
    case 'boolean':
      if (configDefBoolean(raw) === undefined) refuse(name, `must be true or false: ${refusedBy(spec)}`);
      return;
    case 'short':
    case 'int':
    case 'long': {
      const parsed = configDefInteger(raw, spec.type);
      if (parsed === undefined)
        refuse(name, `must be a whole number (a Java ${spec.type}): ${refusedBy(spec)}`);
      if (spec.atLeast !== undefined && parsed < BigInt(spec.atLeast))
        refuse(name, `must be at least ${spec.atLeast}: ${refusedBy(spec)}`);
      return;
    }
    case 'string':
      if (spec.oneOf && spec.caseInsensitive) {
        if (!spec.oneOf.includes(javaTrim(raw).toLowerCase()))
          refuse(name, `must be one of ${spec.oneOf.join(', ')}: ${refusedBy(spec)}`);
      } else if (spec.oneOf && !spec.oneOf.includes(javaTrim(raw)))
        refuse(name, `must be one of ${spec.oneOf.join(', ')} (exactly): ${refusedBy(spec)}`);
      return;
    case 'class': {
      const className = javaTrim(raw);
      if (!JAVA_CLASS_NAME.test(className))
        refuse(name, `must be a class name: MM2 loads it with Class.forName, which refuses it`);
      if (name === 'replication.policy.class') {
        if (POLICY_CLASSES.has(className)) return;
        const qualified = [...POLICY_CLASSES].find((c) => c.endsWith(`.${className}`));
        if (qualified)
          refuse(
            name,
            `must be the fully qualified ${qualified}: MM2 loads it with Class.forName, which needs that`,
          );
        refuse(
          name,
          'is not supported: MirrorKit has org.apache.kafka.connect.mirror.DefaultReplicationPolicy and IdentityReplicationPolicy',
        );
      }
      // A custom filter would select other topics or groups than MirrorKit does; refuse it.
      if (/filter\.class$/.test(name) && className !== spec.defaultClass)
        refuse(name, `must be ${spec.defaultClass}: MirrorKit has no other`);
      return;
    }
    case 'list':
      return;
  }
}

const NO_INLINE_COMMENTS = 'Java properties have no inline comments: put the comment on a line of its own';

function enabledNotes(
  at: { key: string; line?: number },
  raw: string,
  pair: string,
  hasConnectors: boolean,
  enabled: boolean,
  heartbeats: PeriodicSetting,
): Mm2PropertyNote[] {
  const read = configDefBoolean(raw);
  const comment = inlineComment(raw);
  const looks = configDefBoolean(comment ? comment.intended : raw);
  const line = at.line;
  if (read === undefined) {
    const connectorsFail = hasConnectors
      ? ` Its pair still gets connectors for heartbeats, and their ConfigDef refuses the value: MM2 logs "Failed to configure …" for each.`
      : '';
    return [
      {
        key: at.key,
        line,
        severity: looks === false ? 'warning' : 'loud',
        message: `${at.key} = "${raw}" is not exactly true or false: MM2 reads it as false (Boolean.parseBoolean), so ${pair} does not replicate, and MirrorKit reads it the same way.${connectorsFail}${comment ? ` ${NO_INLINE_COMMENTS}` : ''}`,
        ...(hasConnectors && heartbeats.enabled
          ? {
              mm2Differs: `MM2 fails to configure the connectors of ${pair}, so it emits no heartbeats for the pair; MirrorKit still does`,
            }
          : {}),
      },
    ];
  }
  if (read && !enabled) {
    return [
      {
        key: at.key,
        line,
        severity: 'loud',
        message: `${at.key} = "${raw}" is not exactly "true" (blank around it): MM2 picks the pairs to run with Boolean.parseBoolean, which reads it as false, and heartbeats are off for ${pair}, so ${pair} does not replicate; MirrorKit reads it the same way`,
      },
    ];
  }
  return [];
}

function heartbeatsNotes(
  at: { key: string; line?: number },
  raw: string,
  pair: string,
  heartbeats: PeriodicSetting,
): Mm2PropertyNote[] {
  const read = configDefBoolean(raw);
  const comment = inlineComment(raw);
  const looks = configDefBoolean(comment ? comment.intended : raw);
  if (read === undefined)
    return [
      {
        key: at.key,
        line: at.line,
        severity: looks === false ? 'warning' : 'loud',
        message: `${at.key} = "${raw}" is not exactly true or false: MM2 reads it as false when it picks the pairs to run (Boolean.parseBoolean), and its MirrorHeartbeatConnector refuses it (ConfigDef), so no heartbeats for ${pair}; MirrorKit emits none either.${comment ? ` ${NO_INLINE_COMMENTS}` : ''}`,
      },
    ];
  if (read && !heartbeats.enabled && heartbeats.intervalSeconds >= 0)
    return [
      {
        key: at.key,
        line: at.line,
        severity: 'loud',
        message: `${at.key} = "${raw}" is not exactly "true" (blank around it): MM2 picks the pairs to run with Boolean.parseBoolean, which reads it as false, and ${pair} is not enabled, so no heartbeats for ${pair}; MirrorKit emits none either`,
      },
    ];
  return [];
}
