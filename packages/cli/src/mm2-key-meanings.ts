import {
  configDefBoolean,
  configDefInteger,
  configDefList,
  copyProducerSettings,
  type FlowConfig,
  javaTrim,
  kafkaConnection,
  type MirrorMakerConfig,
  MM2_DEPRECATED_KEYS,
  MM2_FLOW_KEYS,
  mm2KeyScope,
  type SettingSupportKind,
  settingSupport,
  TOPIC_WATCH_INTERVAL_SECONDS,
} from '@mirrorkit/core';

/** Why MirrorKit does not act on a key: MM2's reasons, or `connection` for a client setting it cannot map. */
export type IgnoredKind = SettingSupportKind | 'connection';

/** How MirrorKit reads one key of an mm2.properties file, next to how MM2 does. */
export interface KeyMeaning {
  readonly key: string;
  readonly line: number | undefined;
  /** How MirrorKit understands the value (never the value of a secret). */
  readonly meaning: string;
  /** How MM2 acts differently on it; null when they agree. */
  readonly mm2Differs: string | null;
  /** Why MirrorKit does not act on it; null when it does. */
  readonly ignored: { readonly kind: IgnoredKind; readonly reason: string } | null;
}

const PERIODIC: Readonly<Record<string, (f: FlowConfig) => { enabled: boolean; intervalSeconds: number }>> = {
  'emit.heartbeats': (f) => f.emitHeartbeats,
  'emit.checkpoints': (f) => f.emitCheckpoints,
  'sync.group.offsets': (f) => f.syncGroupOffsets,
  'refresh.topics': (f) => f.refreshTopics,
  'refresh.groups': (f) => f.refreshGroups,
  'sync.topic.configs': (f) => f.syncTopicConfigs,
  'sync.topic.acls': (f) => f.syncTopicAcls,
};

const PERIODIC_WHAT: Readonly<Record<string, string>> = {
  'emit.heartbeats': 'heartbeats',
  'emit.checkpoints': 'checkpoints',
  'sync.group.offsets': 'group offsets committed on the target',
  'refresh.topics': 'topics, partitions and configs fully re-synced',
  'refresh.groups': 'new groups picked up',
  'sync.topic.configs': 'topic configs synced',
  'sync.topic.acls': 'ACLs synced',
};

const LISTS: Readonly<Record<string, string>> = {
  topics: 'replicates topics matching',
  'topics.exclude': 'skips topics matching',
  groups: 'checkpoints groups matching',
  'groups.exclude': 'skips groups matching',
  'config.properties.exclude': 'does not copy topic configs matching',
};

const TOPIC_OF: Readonly<Record<string, string>> = {
  'replication.factor': 'remote topics are',
  'heartbeats.topic.replication.factor': 'the heartbeats topic is',
  'checkpoints.topic.replication.factor': 'the checkpoints topic is',
  'offset-syncs.topic.replication.factor': 'the offset-syncs topic is',
};

/** What `setting` of `flow` (its value as resolved) makes MirrorKit do. */
function flowSettingMeaning(flow: FlowConfig, setting: string): string {
  const name = MM2_DEPRECATED_KEYS[setting] ?? setting;
  const raw = flow.settings.get(name) ?? '';
  if (name === 'enabled') return flow.enabled ? 'replicates' : 'does not replicate';
  if (name in LISTS) return `${LISTS[name]} ${configDefList(raw).join(', ') || 'nothing'} (whole names)`;
  const periodic = /^(.*)\.(enabled|interval\.seconds)$/.exec(name);
  const read = periodic ? PERIODIC[periodic[1] as string] : undefined;
  if (periodic && read) {
    const { enabled, intervalSeconds } = read(flow);
    const what = PERIODIC_WHAT[periodic[1] as string] as string;
    if (periodic[1] === 'refresh.topics' && enabled)
      return `${what} every ${intervalSeconds} s; new topics and partitions are picked up within ${TOPIC_WATCH_INTERVAL_SECONDS} s by MirrorKit's metadata watch (MM2 waits for the re-sync)`;
    return enabled ? `${what} every ${intervalSeconds} s` : `no ${what}`;
  }
  if (name in TOPIC_OF) {
    const factor = Number(configDefInteger(raw, 'int') ?? 0);
    return `${TOPIC_OF[name]} created with ${factor === -1 ? "the broker's default replication factor" : `replication factor ${factor}`}`;
  }
  if (name.startsWith('replication.policy.') || name === 'source.cluster.alias')
    return `remote topics named like ${flow.policy.formatRemoteTopic(flow.source, 'orders')}, checkpoints in ${flow.policy.checkpointsTopic(flow.source)}`;
  if (name === 'offset.lag.max') return `an offset sync at least every ${flow.offsetLagMax} records`;
  if (name === 'offset-syncs.topic.location')
    return `offset syncs on the ${flow.offsetSyncsTopicLocation} cluster`;
  if (name === 'emit.offset-syncs.enabled')
    return flow.emitOffsetSyncs ? 'offset syncs written' : 'no offset syncs';
  if (name === 'producer.override.compression.type')
    return `copies written ${javaTrim(raw).toLowerCase()}-compressed (over ${flow.target}.producer.compression.type)`;
  if (/^(consumer|producer|admin)\./.test(name)) return `client override of the flow's ${name.split('.')[0]}`;
  if (name === 'tasks.max') return `MM2 runs up to ${flow.tasksMax} task(s) per connector`;
  const spec = MM2_FLOW_KEYS.get(name);
  switch (spec?.type) {
    case 'boolean':
      return String(configDefBoolean(raw));
    case 'short':
    case 'int':
    case 'long':
      return String(configDefInteger(raw, spec.type));
    case 'list':
      return configDefList(raw).join(', ') || '(empty)';
    default:
      return javaTrim(raw);
  }
}

function flowsTaking(mm2: MirrorMakerConfig, key: string, setting: string): FlowConfig[] {
  const name = MM2_DEPRECATED_KEYS[setting] ?? setting;
  return mm2.allFlows.filter((f) => f.origins.get(name) === key);
}

function meaningOf(mm2: MirrorMakerConfig, key: string): string {
  const scope = mm2KeyScope(key, mm2.clusters);
  switch (scope.kind) {
    case 'clusters':
      return `clusters ${mm2.clusters.join(', ')}`;
    case 'cluster': {
      const { alias, setting } = scope;
      if (setting === 'bootstrap.servers')
        return `brokers of ${alias}: ${mm2.clusterConfigs.get(alias)?.bootstrapServers.join(', ')}`;
      if (setting === 'producer.compression.type') {
        const flows = mm2.flows.filter((f) => f.target === alias).map((f) => `${f.source}->${f.target}`);
        const codec = javaTrim(mm2.properties.get(key) ?? '').toLowerCase();
        return flows.length > 0
          ? `copies written to ${alias} ${codec}-compressed (${flows.join(', ')}), unless a flow overrides it`
          : `no flow writes to ${alias}: no copies to compress`;
      }
      const client = /^(consumer|producer|admin)\./.exec(setting);
      return client
        ? `${client[1]} setting of ${alias}: ${setting.slice((client[1] as string).length + 1)}`
        : `client setting of ${alias}: ${setting}`;
    }
    case 'flow': {
      const flow = mm2.allFlows.find((f) => f.source === scope.source && f.target === scope.target);
      const pair = `${scope.source}->${scope.target}`;
      if (flow) return `${pair}: ${flowSettingMeaning(flow, scope.setting)}`;
      return /^(emit\.heartbeats\.|heartbeats\.topic\.)/.test(scope.setting)
        ? `${pair} is not a flow of the file; applies to the heartbeats of the pair`
        : `${pair} is not a flow of the file (no ${pair}.enabled), so this does nothing`;
    }
    case 'flow-default': {
      const flows = flowsTaking(mm2, key, scope.setting);
      const first = flows[0];
      if (!first) return 'every flow sets its own, so none takes this';
      const pairs = flows.map((f) => `${f.source}->${f.target}`).join(', ');
      if (scope.setting === 'enabled' || scope.setting === 'emit.heartbeats.enabled')
        return flows
          .map((f) => `${f.source}->${f.target}: ${flowSettingMeaning(f, scope.setting)}`)
          .join('; ');
      return `${flowSettingMeaning(first, scope.setting)} (${pairs})`;
    }
    case 'passthrough':
      if (/^(security|sasl|ssl)\./.test(scope.setting))
        return 'client setting of every cluster that does not set its own';
      if (scope.setting === 'exactly.once.source.support')
        return ['enabled', 'required'].includes(javaTrim(mm2.properties.get(key) ?? '').toLowerCase())
          ? 'exactly-once delivery'
          : 'at-least-once delivery';
      if (settingSupport(key, mm2.properties.get(key) ?? '', mm2.clusters)?.kind === 'connect-worker')
        return "a setting of MM2's Kafka Connect worker";
      return 'passed on by MM2 as it is';
    default:
      return 'not a MirrorMaker 2 setting';
  }
}

/** Client settings of each cluster the connection mapping cannot use, by key; and what it could not read. */
function connectionGaps(mm2: MirrorMakerConfig): {
  gaps: Map<string, string>;
  problems: { alias: string; message: string }[];
} {
  const gaps = new Map<string, string>();
  const problems: { alias: string; message: string }[] = [];
  // The copies' producer: what the sidecar applies of <target>.producer.* and the flows' overrides.
  for (const flow of mm2.flows) {
    try {
      for (const u of copyProducerSettings(flow, mm2).unsupported) gaps.set(u.key, u.reason);
    } catch (error) {
      problems.push({ alias: flow.target, message: error instanceof Error ? error.message : String(error) });
    }
  }
  for (const cluster of mm2.clusterConfigs.values()) {
    try {
      for (const u of kafkaConnection(cluster, mm2).unsupported) gaps.set(u.key, u.reason);
    } catch (error) {
      // The mapping reads PEM files named by the config; they may exist only where the sidecar runs.
      problems.push({
        alias: cluster.alias,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { gaps, problems };
}

/**
 * How MirrorKit reads every key of a parsed file, in line order, with the one classification the
 * sidecar logs at start (core's `settingSupport`, and the connection mapping's unsupported settings).
 */
export function keyMeanings(mm2: MirrorMakerConfig): {
  keys: KeyMeaning[];
  problems: { alias: string; message: string }[];
} {
  const { gaps, problems } = connectionGaps(mm2);
  const keys = [...mm2.properties.keys()]
    .sort((a, b) => (mm2.lines.get(a) ?? 0) - (mm2.lines.get(b) ?? 0))
    .map((key): KeyMeaning => {
      const support = settingSupport(key, mm2.properties.get(key) ?? '', mm2.clusters);
      const gap = gaps.get(key);
      const ignored = support
        ? { kind: support.kind, reason: support.reason }
        : gap !== undefined
          ? { kind: 'connection' as const, reason: gap }
          : null;
      const differs = mm2.notes
        .filter((n) => n.key === key && n.mm2Differs !== undefined)
        .map((n) => n.mm2Differs as string);
      if (ignored && (ignored.kind === 'not-supported' || ignored.kind === 'connection'))
        differs.push(`MM2 acts on it; MirrorKit does not (${ignored.reason})`);
      return {
        key,
        line: mm2.lines.get(key),
        meaning: meaningOf(mm2, key),
        mm2Differs: differs.length > 0 ? differs.join('; ') : null,
        ignored,
      };
    });
  return { keys, problems };
}
