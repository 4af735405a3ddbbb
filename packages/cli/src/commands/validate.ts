import {
  count,
  duration,
  type GroupCheckpoint,
  latestGroupCheckpoints,
  type Palette,
  readCheckpointRecords,
  textTable,
} from '@mirrorkit/core';
import { numberFlag, stringFlag } from '../cli-args.js';
import { requireAlias } from '../cli-config.js';
import { EXIT, type ExitCode } from '../cli-error.js';
import { ClusterAccess } from '../cluster-access.js';
import { committedOffsets } from '../group-inspection.js';
import type { Command } from './command.js';

/** A check's verdict. */
export type Verdict = 'PASS' | 'WARN' | 'FAIL';

/** One sample of the group's lag on the DR cluster. */
export interface LagSample {
  readonly atMs: number;
  /** Records on the DR cluster past the group's translated (or committed) position. */
  readonly lag: bigint;
  readonly partitions: number;
  /** Age of the newest checkpoint of the group; null when it has none. */
  readonly checkpointAgeMs: number | null;
}

/** The result of `mirrorkit validate`, also its `--json` shape. */
export interface ValidateResult {
  readonly cluster: string;
  readonly group: string;
  /** Sources whose checkpoints of the group were found on the cluster. */
  readonly sources: readonly string[];
  /** Whether the group has committed offsets on the cluster (MM2's sync.group.offsets). */
  readonly committedOnCluster: boolean;
  readonly samples: readonly LagSample[];
  readonly checks: readonly { check: string; verdict: Verdict; detail: string }[];
  readonly verdict: Verdict;
}

/** Combines checks: any FAIL fails, else any WARN warns. */
export function overallVerdict(verdicts: readonly Verdict[]): Verdict {
  return verdicts.includes('FAIL') ? 'FAIL' : verdicts.includes('WARN') ? 'WARN' : 'PASS';
}

/** The lag trend check: WARN when lag grew between the samples and ended above `maxLag`. */
export function lagTrend(
  first: bigint,
  second: bigint,
  maxLag: bigint,
): { verdict: Verdict; detail: string } {
  const trend = second > first ? 'grew' : second < first ? 'shrank' : 'held';
  const detail = `lag ${trend} from ${count(Number(first))} to ${count(Number(second))} record(s)`;
  return { verdict: second > first && second > maxLag ? 'WARN' : 'PASS', detail };
}

async function sample(
  access: ClusterAccess,
  cluster: string,
  group: string,
  sources: readonly string[],
): Promise<{ sample: LagSample; found: string[]; committed: boolean }> {
  const { policy } = access.config;
  const positions: (GroupCheckpoint & { readonly writtenAtMs: number })[] = [];
  const found: string[] = [];
  for (const source of sources) {
    const read = await access.call(cluster, 'reading checkpoints', () =>
      readCheckpointRecords(access.kafka(cluster), policy, source, access.timeoutMs * 3),
    );
    const latest = latestGroupCheckpoints(read?.checkpoints ?? [], group, policy);
    if (latest.length > 0) found.push(source);
    positions.push(...latest);
  }
  const committed = await committedOffsets(access, cluster, group);
  const at = new Map<string, bigint>();
  // The group's own commits on the DR cluster (MM2's sync.group.offsets) win where they exist:
  // that is where its consumers would start.
  for (const p of positions) at.set(`${p.topic}\u0000${p.partition}`, p.targetOffset);
  for (const c of committed) at.set(`${c.topic}\u0000${c.partition}`, c.offset);
  let lag = 0n;
  for (const topic of new Set([...at.keys()].map((k) => k.split('\u0000')[0] as string))) {
    const ends = await access.withAdmin(cluster, `reading offsets of ${topic}`, (admin) =>
      admin.fetchTopicOffsets(topic),
    );
    for (const p of ends) {
      const offset = at.get(`${topic}\u0000${p.partition}`);
      if (offset !== undefined && BigInt(p.high) > offset) lag += BigInt(p.high) - offset;
    }
  }
  const now = Date.now();
  const newest = positions.length > 0 ? Math.max(...positions.map((p) => p.writtenAtMs)) : null;
  return {
    sample: {
      atMs: now,
      lag,
      partitions: at.size,
      checkpointAgeMs: newest === null ? null : Math.max(0, now - newest),
    },
    found,
    committed: committed.length > 0,
  };
}

/**
 * DR validation of one group on one cluster: is the group there (checkpoints from any source, or
 * committed offsets), are its checkpoints fresh, and does its lag hold or shrink between two samples
 * `intervalMs` apart (pick an interval longer than the flow's checkpoint interval).
 */
export async function validateGroup(
  access: ClusterAccess,
  options: { cluster: string; group: string; intervalMs: number; maxCheckpointAgeMs: number; maxLag: bigint },
): Promise<ValidateResult> {
  const { cluster, group } = options;
  await access.requireReachable(cluster);
  const sources = Object.keys(access.config.clusters).filter((a) => a !== cluster);
  const first = await sample(access, cluster, group, sources);
  const checks: { check: string; verdict: Verdict; detail: string }[] = [];
  const present = first.found.length > 0 || first.committed;
  checks.push({
    check: 'group present',
    verdict: present ? 'PASS' : 'FAIL',
    detail: present
      ? [
          first.found.length > 0 ? `checkpoints from ${first.found.join(', ')}` : '',
          first.committed ? `committed offsets on ${cluster}` : '',
        ]
          .filter(Boolean)
          .join('; ')
      : `no checkpoints of ${group} in any ${sources.map((s) => access.config.policy.checkpointsTopic(s)).join(', ')} on ${cluster}, and no committed offsets there`,
  });
  if (!present) {
    return {
      cluster,
      group,
      sources: [],
      committedOnCluster: false,
      samples: [first.sample],
      checks,
      verdict: 'FAIL',
    };
  }
  const age = first.sample.checkpointAgeMs;
  checks.push(
    age === null
      ? {
          check: 'checkpoint freshness',
          verdict: 'WARN',
          detail: 'no checkpoints: failover would rely on committed offsets only',
        }
      : {
          check: 'checkpoint freshness',
          verdict: age > options.maxCheckpointAgeMs ? 'WARN' : 'PASS',
          detail: `newest checkpoint ${duration(age)} old (limit ${duration(options.maxCheckpointAgeMs)})`,
        },
  );
  await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  const second = await sample(access, cluster, group, sources);
  const trend = lagTrend(first.sample.lag, second.sample.lag, options.maxLag);
  checks.push({
    check: 'lag trend',
    verdict: trend.verdict,
    detail: `${trend.detail} in ${duration(options.intervalMs)}`,
  });
  return {
    cluster,
    group,
    sources: first.found,
    committedOnCluster: first.committed,
    samples: [first.sample, second.sample],
    checks,
    verdict: overallVerdict(checks.map((c) => c.verdict)),
  };
}

/** The human report of a {@link ValidateResult}. */
export function formatValidate(result: ValidateResult, colors: Palette): string {
  const paint = (v: Verdict): string =>
    v === 'PASS' ? colors.green(v) : v === 'WARN' ? colors.yellow(v) : colors.red(v);
  return [
    colors.bold(`DR validation of group ${result.group} on ${result.cluster}`),
    '',
    textTable(
      result.checks.map((c) => [c.check, paint(c.verdict), c.detail]),
      { indent: '  ' },
    ),
    '',
    `Result: ${paint(result.verdict)}`,
  ].join('\n');
}

export const validateCommand: Command = {
  name: 'validate',
  summary:
    'DR validation of a consumer group on a cluster: present (checkpoints or offsets), checkpoints fresh, lag sampled twice not growing. PASS/WARN/FAIL.',
  flags: {
    cluster: { kind: 'string', help: 'the DR cluster to validate', required: true },
    group: { kind: 'string', help: 'the consumer group', required: true },
    'interval-ms': { kind: 'number', help: 'time between the two lag samples (default 5000)' },
    'max-checkpoint-age-ms': { kind: 'number', help: 'older checkpoints are a warning (default 120000)' },
    'max-lag': { kind: 'number', help: 'growing lag above this many records is a warning (default 10000)' },
  },
  async run({ flags, loadConfig, output, timeoutMs }) {
    const config = loadConfig();
    const cluster = stringFlag(flags, 'cluster') as string;
    requireAlias(config, cluster, 'cluster');
    const intervalMs = numberFlag(flags, 'interval-ms', 5000);
    const result = await output.waiting(`sampling ${cluster} twice, ${duration(intervalMs)} apart`, () =>
      validateGroup(new ClusterAccess(config, timeoutMs), {
        cluster,
        group: stringFlag(flags, 'group') as string,
        intervalMs,
        maxCheckpointAgeMs: numberFlag(flags, 'max-checkpoint-age-ms', 120_000),
        maxLag: BigInt(Math.trunc(numberFlag(flags, 'max-lag', 10_000))),
      }),
    );
    output.result(result, () => formatValidate(result, output.colors));
    const exit: Record<Verdict, ExitCode> = { PASS: EXIT.OK, WARN: EXIT.WARN, FAIL: EXIT.FAILED };
    return exit[result.verdict];
  },
};
