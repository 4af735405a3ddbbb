import {
  count,
  duration,
  type Palette,
  readCheckpointRecords,
  summarizeCheckpointGroups,
  textTable,
} from '@mirrorkit/core';
import { numberFlag } from '../cli-args.js';
import { EXIT, type ExitCode } from '../cli-error.js';
import { ClusterAccess, oneLine, type ProbeResult } from '../cluster-access.js';
import { heartbeatAge, type RemoteTopicLag, remoteTopicLags } from '../flow-inspection.js';
import type { Command } from './command.js';

/** One replication flow as `mirrorkit status` sees it. */
export interface FlowStatus {
  readonly source: string;
  readonly target: string;
  /** `config` when the mm2.properties enables it; `detected` when found by its topics on the target. */
  readonly known: 'config' | 'detected';
  /** Age of the newest heartbeat that travelled the flow (the RPO estimate); null if none. */
  readonly heartbeatAgeMs: number | null;
  /** Remote topics and their lag; empty when the source is unreachable. */
  readonly topics: readonly RemoteTopicLag[];
  /** Per consumer group: checkpointed partitions and the newest checkpoint's age. */
  readonly groups: readonly { group: string; partitions: number; checkpointAgeMs: number }[];
  /** Why parts of this flow could not be read. */
  readonly problems: readonly string[];
}

/** The result of `mirrorkit status`, also its `--json` shape. */
export interface StatusResult {
  readonly clusters: readonly ProbeResult[];
  readonly flows: readonly FlowStatus[];
  /** `ok`, `warn` (stale or missing heartbeats) or `unreachable` (a cluster did not answer). */
  readonly verdict: 'ok' | 'warn' | 'unreachable';
}

async function flowStatus(
  access: ClusterAccess,
  source: string,
  target: string,
  known: FlowStatus['known'],
  sourceUp: boolean,
): Promise<FlowStatus> {
  const problems: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      problems.push(`${what}: ${oneLine(error)}`);
      return fallback;
    }
  };
  const heartbeatAgeMs = await attempt('heartbeats', () => heartbeatAge(access, source, target), null);
  const topics = sourceUp ? await attempt('lag', () => remoteTopicLags(access, source, target), []) : [];
  if (!sourceUp) problems.push(`${source} is unreachable: lag unknown`);
  const read = await attempt(
    'checkpoints',
    () =>
      access.call(target, 'reading checkpoints', () =>
        readCheckpointRecords(access.kafka(target), access.config.policy, source, access.timeoutMs * 3),
      ),
    null,
  );
  const now = Date.now();
  const groups = summarizeCheckpointGroups(read?.checkpoints ?? []).map((g) => ({
    group: g.group,
    partitions: g.partitions,
    checkpointAgeMs: Math.max(0, now - g.newestMs),
  }));
  return { source, target, known, heartbeatAgeMs, topics, groups, problems };
}

/**
 * Probes every cluster and inspects every flow: declared ones (mm2.properties), or, for a JSON
 * config, every ordered pair whose target holds the source's checkpoints or remote heartbeats.
 */
export async function clusterStatus(access: ClusterAccess, maxHeartbeatAgeMs: number): Promise<StatusResult> {
  const { config } = access;
  const aliases = Object.keys(config.clusters);
  const clusters = await Promise.all(aliases.map((alias) => access.probe(alias)));
  const up = new Set(clusters.filter((c) => c.reachable).map((c) => c.alias));
  const flows: FlowStatus[] = [];
  // Every other cluster is a candidate source into a target: list its topics once.
  const topicsOn = new Map<string, string[]>();
  for (const flow of config.flows) {
    if (!up.has(flow.target)) {
      // A declared flow into a dead cluster is still part of the picture; a guessed one is not.
      if (config.flowsDeclared)
        flows.push({
          source: flow.source,
          target: flow.target,
          known: 'config',
          heartbeatAgeMs: null,
          topics: [],
          groups: [],
          problems: [`${flow.target} is unreachable: nothing of this flow can be read`],
        });
      continue;
    }
    let known: FlowStatus['known'] = 'config';
    if (!config.flowsDeclared) {
      let topics = topicsOn.get(flow.target);
      if (!topics) {
        topics = await access.withAdmin(flow.target, 'listing topics', (admin) => admin.listTopics());
        topicsOn.set(flow.target, topics);
      }
      const { policy } = config;
      const present =
        topics.includes(policy.checkpointsTopic(flow.source)) ||
        topics.includes(policy.formatRemoteTopic(flow.source, policy.heartbeatsTopic()));
      if (!present) continue;
      known = 'detected';
    }
    flows.push(await flowStatus(access, flow.source, flow.target, known, up.has(flow.source)));
  }
  const stale = flows.some((f) => f.heartbeatAgeMs === null || f.heartbeatAgeMs > maxHeartbeatAgeMs);
  const verdict = up.size < aliases.length ? 'unreachable' : stale ? 'warn' : 'ok';
  return { clusters, flows, verdict };
}

/** The human report of a {@link StatusResult}. */
export function formatStatus(result: StatusResult, colors: Palette, maxHeartbeatAgeMs: number): string {
  const lines: string[] = ['Clusters', ''];
  lines.push(
    textTable(
      [
        ['ALIAS', 'STATE', 'BROKERS', 'PROBE', 'ERROR'],
        ...result.clusters.map((c) => [
          c.alias,
          c.reachable ? colors.green('reachable') : colors.red('unreachable'),
          c.reachable ? String(c.brokers) : '-',
          duration(c.latencyMs),
          c.error ?? '',
        ]),
      ],
      { indent: '  ' },
    ),
  );
  lines.push('', 'Replication flows', '');
  if (result.flows.length === 0)
    lines.push('  none found (no reachable target holds checkpoints or heartbeats)');
  for (const f of result.flows) {
    const age =
      f.heartbeatAgeMs === null
        ? colors.yellow('no heartbeats')
        : f.heartbeatAgeMs > maxHeartbeatAgeMs
          ? colors.yellow(`heartbeat ${duration(f.heartbeatAgeMs)} old`)
          : colors.green(`heartbeat ${duration(f.heartbeatAgeMs)} old`);
    lines.push(
      `  ${colors.bold(`${f.source} -> ${f.target}`)}  ${age} (RPO estimate)${f.known === 'detected' ? '  [detected]' : ''}`,
    );
    if (f.topics.length > 0) {
      lines.push(
        textTable(
          [
            ['REMOTE TOPIC', 'PARTITIONS', 'RECORD LAG'],
            ...f.topics.map((t) => [
              t.topic,
              String(t.partitions),
              `${t.basis === 'estimate' ? '~' : ''}${count(Number(t.lag))}`,
            ]),
          ],
          { indent: '    ' },
        ),
      );
    }
    if (f.groups.length > 0) {
      lines.push(
        textTable(
          [
            ['GROUP', 'PARTITIONS', 'CHECKPOINT AGE'],
            ...f.groups.map((g) => [g.group, String(g.partitions), duration(g.checkpointAgeMs)]),
          ],
          { indent: '    ' },
        ),
      );
    }
    for (const p of f.problems) lines.push(colors.yellow(`    ${p}`));
    lines.push('');
  }
  const verdict =
    result.verdict === 'ok'
      ? colors.green('OK')
      : result.verdict === 'warn'
        ? colors.yellow('WARN: stale or missing heartbeats')
        : colors.red('UNREACHABLE: a cluster did not answer');
  lines.push(`Status: ${verdict}`);
  return lines.join('\n');
}

export const statusCommand: Command = {
  name: 'status',
  summary:
    'Shows each cluster (reachable or not), each replication flow with its heartbeat age (RPO estimate), record lag per remote topic and checkpoint age per group.',
  flags: {
    'max-heartbeat-age-ms': {
      kind: 'number',
      help: 'a flow whose newest heartbeat is older than this is a warning (default 30000)',
    },
  },
  async run({ flags, loadConfig, output, timeoutMs }) {
    const access = new ClusterAccess(loadConfig(), timeoutMs);
    const maxAge = numberFlag(flags, 'max-heartbeat-age-ms', 30_000);
    const result = await output.waiting('probing clusters and flows', () => clusterStatus(access, maxAge));
    output.result(result, () => formatStatus(result, output.colors, maxAge));
    const exit: Record<StatusResult['verdict'], ExitCode> = {
      ok: EXIT.OK,
      warn: EXIT.WARN,
      unreachable: EXIT.UNREACHABLE,
    };
    return exit[result.verdict];
  },
};
