import {
  commitGroupOffsets,
  count,
  duration,
  type FailoverPosition,
  type GroupCheckpoint,
  GroupOffsetsError,
  type Palette,
  type PositionProblem,
  textTable,
} from '@mirrorkit/core';
import { numberFlag, stringFlag } from '../cli-args.js';
import { requireFlowAliases } from '../cli-config.js';
import { EXIT, MirrorKitCliError } from '../cli-error.js';
import { ClusterAccess, oneLine } from '../cluster-access.js';
import {
  type GroupCheckpointRead,
  type ProgressRead,
  planPositions,
  readGroupCheckpoints,
} from '../failover-inputs.js';
import { heartbeatAge, remoteTopicLags } from '../flow-inspection.js';
import { type CommittedOffset, committedOffsets, describeGroup, isActive } from '../group-inspection.js';
import { exactNote, replayCell, replayNote } from '../position-notes.js';

import type { Command, CommandContext } from './command.js';

/** Where the group will resume on the target, per partition: core's one position, plus what was there. */
export type FailoverResultPosition = FailoverPosition & {
  /** The group's committed offset on the target before this command (null if none). */
  readonly previous: bigint | null;
};

/** One step of the runbook and how it went. */
export interface FailoverStep {
  readonly step: 'source' | 'replication' | 'translate' | 'target-group' | 'commit' | 'verify';
  readonly status: 'ok' | 'warn' | 'skipped';
  readonly detail: string;
  readonly durationMs: number;
}

/** The result of `mirrorkit failover` / `failback`, also its `--json` shape (offsets as strings). */
export interface FailoverResult {
  readonly kind: 'failover' | 'failback';
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly dryRun: boolean;
  readonly sourceReachable: boolean;
  /** Age of the newest heartbeat of the flow used (the RPO estimate); null when none travelled it. */
  readonly heartbeatAgeMs: number | null;
  /** Records on the source not yet replicated (summed over the flow's remote topics); null when the source is down. */
  readonly replicationLag: bigint | null;
  readonly positions: readonly FailoverResultPosition[];
  /**
   * What the planner clamped or refused, and fingerprints it did not find (`fingerprint-unmatched`:
   * the conservative position stands); each message is also among `warnings`.
   */
  readonly problems: readonly PositionProblem[];
  /** Records the group had not processed that retention removed from `to`, over all partitions. */
  readonly lostRecords: bigint;
  /** The group's progress records on `to` (written by the MirrorKit consumer), as read. */
  readonly progress: ProgressRead;
  readonly committed: boolean;
  readonly steps: readonly FailoverStep[];
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

interface FailoverOptions {
  readonly kind: 'failover' | 'failback';
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly noCheckpoint: 'earliest' | 'latest';
  /** Failback: how long to wait for checkpoints to catch up with the group's last commits. */
  readonly waitMs: number;
  /** Failover: probes of the source before it counts as down. */
  readonly confirmProbes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function refuse(message: string): never {
  throw new MirrorKitCliError('CLI_REFUSED', message);
}

/**
 * The runbook's steps 1–4 for one consumer group, each checked before the next:
 * 1. source — failover: the source must be down (probed `confirmProbes` times), unless `force`;
 *    failback: the source must be up and the group stopped there (a planned switch).
 * 2. replication — heartbeat age of the flow into the target: how much may not have been copied.
 * 3. translate — checkpoints of `<from>.checkpoints.internal` on the target; on failback, remote
 *    copies of the target's own topics go back through the forward flow's offset syncs.
 * 4. target group — refused while the group has active members on the target.
 * 5. commit (not on --dry-run) and 6. verify by reading the committed offsets back.
 */
export async function runFailover(
  access: ClusterAccess,
  options: FailoverOptions,
  onStep: (step: FailoverStep) => void,
): Promise<FailoverResult> {
  const { kind, group, from, to } = options;
  const { policy } = access.config;
  const started = Date.now();
  const steps: FailoverStep[] = [];
  const warnings: string[] = [];
  let stepStarted = Date.now();
  const done = (step: FailoverStep['step'], status: FailoverStep['status'], detail: string): void => {
    const record = { step, status, detail, durationMs: Date.now() - stepStarted };
    steps.push(record);
    if (status === 'warn') warnings.push(detail);
    onStep(record);
    stepStarted = Date.now();
  };

  // 1. The source.
  await access.requireReachable(to);
  let sourceReachable = false;
  if (kind === 'failover') {
    let lastError = '';
    for (let probe = 0; probe < options.confirmProbes; probe++) {
      if (probe > 0) await sleep(1000);
      const result = await access.probe(from);
      if (result.reachable) {
        sourceReachable = true;
        break;
      }
      lastError = result.error ?? '';
    }
    if (sourceReachable && !options.force) {
      refuse(
        `${from} is reachable: failing over from a live cluster splits the group between regions; stop its consumers on ${from} and pass --force, or use \`mirrorkit failback\` for a planned switch`,
      );
    }
    if (sourceReachable) {
      const state = await describeGroup(access, from, group);
      if (isActive(state))
        refuse(
          `group ${group} still has ${state.members} active member(s) on ${from} (${state.state}); stop them first`,
        );
      done('source', 'warn', `${from} is reachable (--force); group ${group} has no active members there`);
    } else {
      done('source', 'ok', `${from} unreachable after ${options.confirmProbes} probe(s): ${lastError}`);
    }
  } else {
    const probe = await access.probe(from);
    sourceReachable = probe.reachable;
    if (!probe.reachable && !options.force)
      refuse(
        `${from} is unreachable: a failback is a planned switch from a healthy cluster; use \`mirrorkit failover\` (or --force)`,
      );
    if (probe.reachable) {
      const state = await describeGroup(access, from, group);
      if (isActive(state))
        refuse(
          `group ${group} still has ${state.members} active member(s) on ${from} (${state.state}); stop them before failing back`,
        );
      done('source', 'ok', `${from} reachable; group ${group} has no active members there`);
    } else {
      done(
        'source',
        'warn',
        `${from} unreachable (--force): the group's last commits there cannot be checked`,
      );
    }
  }

  // 2. Replication state of the flow from -> to: heartbeat age always, record lag when the source
  // still answers (a forced failover or a failback).
  const age = await heartbeatAge(access, from, to).catch(() => null);
  let lagNote = '';
  let replicationLag: bigint | null = null;
  if (sourceReachable) {
    const lags = await remoteTopicLags(access, from, to).catch(() => null);
    if (lags) {
      replicationLag = lags.reduce((sum, t) => sum + t.lag, 0n);
      lagNote = `; ${count(Number(replicationLag))} record(s) on ${from} not yet in ${to}'s remote topics`;
    }
  }
  if (age === null)
    done(
      'replication',
      'warn',
      `no heartbeats from ${from} have reached ${to}: how much was not replicated is unknown${lagNote}`,
    );
  else
    done(
      'replication',
      age > 30_000 || (replicationLag ?? 0n) > 0n ? 'warn' : 'ok',
      `newest heartbeat from ${from} on ${to} is ${duration(age)} old: writes to ${from} in about the last ${duration(age)} may not be on ${to}${lagNote}`,
    );

  // 3. Translate.
  const translate = async (): Promise<GroupCheckpointRead> => {
    try {
      return await readGroupCheckpoints(access, { group, from, to });
    } catch (error) {
      // A group that failed over only read remote copies of the target's topics has no checkpoints
      // in the reverse flow; the offset syncs below may still place it.
      const code = error instanceof MirrorKitCliError ? error.code : undefined;
      if (kind !== 'failback' || (code !== 'CLI_UNKNOWN_GROUP' && code !== 'CLI_NO_CHECKPOINTS')) throw error;
      noCheckpoints = error as MirrorKitCliError;
      return { checkpointsTopic: policy.checkpointsTopic(from), checkpoints: [], skippedRecords: 0 };
    }
  };
  let noCheckpoints: MirrorKitCliError | undefined;
  let translation = await translate();
  // The group's commits on the target (its own topics there, MM2's group sync) and, on failback,
  // on the cluster it leaves: what the planner needs besides the checkpoints.
  const before = await committedOffsets(access, to, group);
  let committedOnSource: readonly CommittedOffset[] = [];
  if (kind === 'failback' && sourceReachable) {
    // The checkpoints must cover the group's final commits on `from`, or records are replayed.
    // The group has no members on `from` (checked above), so its commits there stay as read here.
    committedOnSource = await committedOffsets(access, from, group);
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const behind = checkpointShortfall(committedOnSource, translation.checkpoints);
      if (behind === 0n) break;
      if (Date.now() >= deadline) {
        warnings.push(
          `checkpoints trail the group's last commits on ${from} by ${count(Number(behind))} record(s); they will be processed again (wait with --wait-ms)`,
        );
        break;
      }
      await sleep(1000);
      translation = await translate();
    }
  }
  const plan = await planPositions(
    access,
    { group, from, to, noPosition: options.noCheckpoint },
    translation.checkpoints,
    before,
    committedOnSource,
  );
  for (const problem of plan.problems) warnings.push(problem.message);
  if (plan.progress.error !== null)
    warnings.push(
      `progress records not read from ${plan.progress.topic} on ${to}: ${plan.progress.error}; positions from checkpoints alone`,
    );
  for (const p of plan.positions)
    if (
      (p.basis === 'earliest' || p.basis === 'latest') &&
      committedOnSource.some((c) => policy.upstreamTopic(c.topic) === p.topic && c.partition === p.partition)
    )
      warnings.push(
        `${p.topic}[${p.partition}]: no offset sync proves the group's position; starting at the ${options.noCheckpoint} offset`,
      );
  let positions: FailoverResultPosition[] = plan.positions.map((p) => ({ ...p, previous: null }));
  if (positions.length === 0)
    throw (
      noCheckpoints ??
      new MirrorKitCliError('CLI_UNKNOWN_GROUP', `group ${group} has no position to translate`)
    );
  const newest =
    translation.checkpoints.length > 0
      ? Math.max(0, Date.now() - Math.max(...translation.checkpoints.map((o) => o.writtenAtMs)))
      : null;
  const without = positions.filter((p) => p.basis === 'earliest' || p.basis === 'latest').length;
  if (without > 0)
    warnings.push(
      `${without} partition(s) had no usable position and start at the ${options.noCheckpoint} offset`,
    );
  const exact = positions.filter((p) => p.basis === 'progress' || p.basis === 'fingerprint').length;
  done(
    'translate',
    without > 0 || plan.problems.length > 0 || plan.progress.error !== null ? 'warn' : 'ok',
    (newest === null
      ? `${positions.length} partition(s) through ${from}'s offset syncs (the group has no checkpoints in ${translation.checkpointsTopic})`
      : `${positions.length} partition(s) from ${translation.checkpointsTopic} (newest checkpoint ${duration(newest)} old)`) +
      (exact > 0 ? `; ${exact} exact by fingerprint` : ''),
  );

  // 4. The group on the target.
  const state = await describeGroup(access, to, group);
  if (isActive(state))
    refuse(
      `group ${group} has ${state.members} active member(s) on ${to} (${state.state}); its offsets were not changed`,
    );
  const previous = new Map(before.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
  positions = positions.map((p) => ({
    ...p,
    previous: previous.get(`${p.topic}\u0000${p.partition}`) ?? null,
  }));
  done('target-group', 'ok', `group ${group} has no active members on ${to} (${state.state})`);

  // 5. Commit, 6. verify.
  let committed = false;
  if (options.dryRun) {
    done('commit', 'skipped', 'dry run: nothing committed');
  } else {
    try {
      await commitGroupOffsets(
        access.kafka(to),
        group,
        positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })),
        { timeoutMs: access.timeoutMs * 3 },
      );
    } catch (error) {
      if (error instanceof GroupOffsetsError && error.code === 'GROUP_NOT_EMPTY')
        refuse(
          `group ${group} gained active members on ${to} while failing over; its offsets were not changed`,
        );
      throw new MirrorKitCliError(
        'CLI_UNREACHABLE',
        `committing offsets on ${to} failed: ${oneLine(error)}`,
        {
          cause: error,
        },
      );
    }
    committed = true;
    done('commit', 'ok', `${positions.length} offset(s) committed for ${group} on ${to}`);
    const after = await committedOffsets(access, to, group, [...new Set(positions.map((p) => p.topic))]);
    const read = new Map(after.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    for (const p of positions) {
      const got = read.get(`${p.topic}\u0000${p.partition}`);
      if (got !== p.offset) {
        throw new MirrorKitCliError(
          'CLI_VERIFY_FAILED',
          `committed offset of ${group} on ${to} ${p.topic}[${p.partition}] reads back as ${got ?? 'none'}, expected ${p.offset}`,
        );
      }
    }
    done('verify', 'ok', `committed offsets read back from ${to} equal the translated ones`);
  }
  return {
    kind,
    group,
    from,
    to,
    dryRun: options.dryRun,
    sourceReachable,
    heartbeatAgeMs: age,
    replicationLag,
    positions,
    problems: plan.problems,
    lostRecords: plan.lostRecords,
    progress: plan.progress,
    committed,
    steps,
    warnings,
    durationMs: Date.now() - started,
  };
}

/** Records the group committed on `from` beyond what the checkpoints cover (0 when caught up). */
function checkpointShortfall(
  committed: readonly CommittedOffset[],
  checkpoints: readonly GroupCheckpoint[],
): bigint {
  const covered = new Map(checkpoints.map((o) => [`${o.sourceTopic}\u0000${o.partition}`, o.sourceOffset]));
  let behind = 0n;
  for (const c of committed) {
    const at = covered.get(`${c.topic}\u0000${c.partition}`);
    if (at !== undefined && c.offset > at) behind += c.offset - at;
  }
  return behind;
}

/**
 * The human result of a failover: the positions (with basis and replay bound), the warnings, which
 * partitions are exact, and for those at a plain checkpoint the replay that stays and how to remove it.
 */
export function formatFailover(result: FailoverResult, colors: Palette): string {
  const rows = [
    ['TOPIC', 'PARTITION', 'OFFSET', 'BASIS', 'MAY REPLAY', 'SOURCE OFFSET', 'WAS'],
    ...result.positions.map((p) => [
      p.topic,
      String(p.partition),
      p.offset.toString(),
      p.basis,
      replayCell(p),
      p.sourceOffset === null ? '-' : p.sourceOffset.toString(),
      p.previous === null ? '-' : p.previous.toString(),
    ]),
  ];
  const lines = ['', textTable(rows, { indent: '  ' }), ''];
  for (const w of result.warnings) lines.push(colors.yellow(`warning: ${w}`));
  const exact = exactNote(result.positions, result.to);
  if (exact !== null) lines.push(colors.green(exact));
  lines.push(...replayNote(result.positions, result.problems));
  const verb = result.kind === 'failover' ? 'failed over' : 'failed back';
  lines.push(
    result.dryRun
      ? `Dry run: nothing committed. Without --dry-run, group ${result.group} would resume on ${result.to} at the offsets above.`
      : `Result: group ${result.group} ${verb} to ${result.to} in ${duration(result.durationMs)}; start its consumers on ${result.to}.`,
  );
  return lines.join('\n');
}

function stepLine(step: FailoverStep, index: number, colors: Palette): string {
  const status =
    step.status === 'ok'
      ? colors.green('ok  ')
      : step.status === 'warn'
        ? colors.yellow('warn')
        : colors.dim('skip');
  return `  ${index}. ${step.step.padEnd(12)} ${status}  ${step.detail}  ${colors.dim(duration(step.durationMs))}`;
}

const FLAGS = {
  group: { kind: 'string', help: 'the consumer group to move', required: true },
  from: { kind: 'string', help: 'the cluster the group leaves', required: true },
  to: { kind: 'string', help: 'the cluster the group moves to', required: true },
  'dry-run': { kind: 'boolean', help: 'check and translate, commit nothing' },
  force: {
    kind: 'boolean',
    help: 'failover: proceed although the source answers; failback: although it does not',
  },
  'no-checkpoint': {
    kind: 'string',
    help: 'partitions without a checkpoint start at: earliest (replay, default) or latest (skip)',
  },
} as const;

async function run(kind: 'failover' | 'failback', context: CommandContext): Promise<0 | 1> {
  const { flags, output } = context;
  const config = context.loadConfig();
  const { from, to } = requireFlowAliases(config, flags);
  const rule = stringFlag(flags, 'no-checkpoint') ?? 'earliest';
  if (rule !== 'earliest' && rule !== 'latest')
    throw new MirrorKitCliError('CLI_USAGE', `--no-checkpoint must be earliest or latest, got "${rule}"`);
  const group = stringFlag(flags, 'group') as string;
  const dryRun = flags['dry-run'] === true;
  output.line(
    output.colors.bold(
      `${kind === 'failover' ? 'Failover' : 'Failback'} of group ${group}: ${from} → ${to}${dryRun ? ' (dry run)' : ''}`,
    ),
  );
  output.line('');
  let index = 0;
  const result = await runFailover(
    new ClusterAccess(config, context.timeoutMs),
    {
      kind,
      group,
      from,
      to,
      dryRun,
      force: flags.force === true,
      noCheckpoint: rule,
      waitMs: numberFlag(flags, 'wait-ms', 0),
      confirmProbes: Math.max(1, numberFlag(flags, 'confirm-probes', 3)),
    },
    (step) => output.line(stepLine(step, ++index, output.colors)),
  );
  output.result(result, () => formatFailover(result, output.colors));
  return EXIT.OK;
}

export const failoverCommand: Command = {
  name: 'failover',
  summary:
    "Moves a consumer group to the DR cluster: confirms the source is down, estimates what was not replicated, translates the group's offsets through checkpoints, commits and verifies them.",
  flags: {
    ...FLAGS,
    'confirm-probes': {
      kind: 'number',
      help: 'failed probes of the source, 1 s apart, before it counts as down (default 3)',
    },
  },
  run: (context) => run('failover', context),
};

export const failbackCommand: Command = {
  name: 'failback',
  summary:
    "Moves a consumer group back through the reverse flow's checkpoints (and the forward flow's offset syncs for what it read from remote copies), once it is stopped on the DR cluster.",
  flags: {
    ...FLAGS,
    'wait-ms': {
      kind: 'number',
      help: "wait up to this long for checkpoints to cover the group's last commits (default 0: warn only)",
    },
  },
  run: (context) => run('failback', context),
};
