import {
  count,
  duration,
  type FailoverPosition,
  type Palette,
  type PositionProblem,
  textTable,
} from '@mirrorkit/core';
import { stringFlag } from '../cli-args.js';
import { requireFlowAliases } from '../cli-config.js';
import { EXIT } from '../cli-error.js';
import { ClusterAccess } from '../cluster-access.js';
import { type ProgressRead, planPositions, readGroupCheckpoints } from '../failover-inputs.js';
import { committedOffsets } from '../group-inspection.js';
import {
  exactNote,
  problemLabel,
  progressNotes,
  progressSummary,
  replayCell,
  replayNote,
} from '../position-notes.js';
import type { Command } from './command.js';

/** The result of `mirrorkit translate`, also its `--json` shape (offsets as strings). */
export interface TranslateResult {
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly checkpointsTopic: string;
  /**
   * Per partition the group would read on `to`, by topic then partition: core's failover position
   * (what `mirrorkit failover` would commit: its basis — `progress` or `fingerprint` where it
   * resumes right after a record found by fingerprint — and its replay bound), with the age of the
   * checkpoint it comes from (null unless the basis is `checkpoint` or `fingerprint`).
   */
  readonly positions: readonly (FailoverPosition & { readonly checkpointAgeMs: number | null })[];
  /**
   * Candidate positions the planner clamped to the log start or refused, and fingerprints that
   * were not found (`fingerprint-unmatched`: the conservative position stands), with why.
   */
  readonly problems: readonly PositionProblem[];
  /** Records the group had not processed that retention removed from `to`, over all partitions. */
  readonly lostRecords: bigint;
  /** Records in the checkpoints topic that were not checkpoints (skipped). */
  readonly skippedRecords: number;
  /** The group's progress records on `to` (written by the MirrorKit consumer), as read. */
  readonly progress: ProgressRead;
}

/**
 * Plans the group's positions on `to` for the flow `from -> to` the way `mirrorkit failover` does
 * (core's planner over the group's checkpoints, its commits on `to` and the bounds of every
 * partition it would read there), and commits nothing. Partitions without a usable position start
 * at the earliest offset, failover's default. Needs only `to`: it answers while `from` is down.
 * CLI_NO_CHECKPOINTS when no flow checkpoints on `to`, CLI_UNKNOWN_GROUP (naming the groups that
 * do have checkpoints) when the group has none.
 */
export async function translateGroup(
  access: ClusterAccess,
  options: { group: string; from: string; to: string },
): Promise<TranslateResult> {
  const { group, from, to } = options;
  const read = await readGroupCheckpoints(access, options);
  const committed = await committedOffsets(access, to, group);
  const plan = await planPositions(
    access,
    { group, from, to, noPosition: 'earliest' },
    read.checkpoints,
    committed,
    [],
  );
  const writtenAt = new Map(read.checkpoints.map((c) => [`${c.topic}\u0000${c.partition}`, c.writtenAtMs]));
  const now = Date.now();
  return {
    group,
    from,
    to,
    checkpointsTopic: read.checkpointsTopic,
    positions: plan.positions.map((p) => {
      // A fingerprint from a checkpoint is as old as the checkpoint: what the group did since is not in it.
      const fromCheckpoint = p.basis === 'checkpoint' || p.basis === 'fingerprint';
      const at = fromCheckpoint ? writtenAt.get(`${p.topic}\u0000${p.partition}`) : undefined;
      return { ...p, checkpointAgeMs: at === undefined ? null : Math.max(0, now - at) };
    }),
    problems: plan.problems,
    lostRecords: plan.lostRecords,
    skippedRecords: read.skippedRecords,
    progress: plan.progress,
  };
}

/**
 * The human table of a {@link TranslateResult}; then what the planner clamped or refused and the
 * fingerprints it did not find; which partitions are exact; and, for those resuming at a plain
 * checkpoint, the replay that stays and how to remove it.
 */
export function formatTranslate(result: TranslateResult, colors: Palette, nowMs = Date.now()): string {
  const rows = [
    ['TOPIC', 'PARTITION', 'SOURCE OFFSET', 'TARGET OFFSET', 'BASIS', 'MAY REPLAY', 'CHECKPOINT AGE'],
    ...result.positions.map((p) => [
      p.topic,
      String(p.partition),
      p.sourceOffset === null ? '-' : p.sourceOffset.toString(),
      p.offset.toString(),
      p.basis,
      replayCell(p),
      p.checkpointAgeMs === null ? '-' : duration(p.checkpointAgeMs),
    ]),
  ];
  const lines = [
    `Group ${result.group}: ${result.from} → ${result.to} (from ${result.checkpointsTopic} on ${result.to}${progressSummary(result.progress, nowMs)})`,
    '',
    textTable(rows),
  ];
  if (result.problems.length > 0) lines.push('');
  for (const problem of result.problems)
    lines.push(colors.yellow(`${problemLabel(problem)}: ${problem.message}`));
  if (result.lostRecords > 0n)
    lines.push(
      colors.red(
        `${count(Number(result.lostRecords))} record(s) the group had not processed are gone from ${result.to} (retention): a failover cannot deliver them`,
      ),
    );
  const exact = exactNote(result.positions, result.to);
  const replay = replayNote(result.positions, result.problems);
  if (exact !== null || replay.length > 0) lines.push('');
  if (exact !== null) lines.push(colors.green(exact));
  lines.push(...replay);
  const skipped = [
    ...(result.skippedRecords > 0
      ? [
          `${result.skippedRecords} record(s) in ${result.checkpointsTopic} were not checkpoints and were skipped`,
        ]
      : []),
    ...progressNotes(result.progress),
  ];
  if (skipped.length > 0) lines.push('', ...skipped);
  return lines.join('\n');
}

export const translateCommand: Command = {
  name: 'translate',
  summary:
    "Shows where a consumer group would resume on another cluster — the positions `failover` would commit, from MirrorMaker 2's checkpoints (made exact where a fingerprint names the group's last record) checked against the target's partitions — without changing anything.",
  flags: {
    group: { kind: 'string', help: 'the consumer group', required: true },
    from: { kind: 'string', help: 'the cluster the group consumed on (the flow source)', required: true },
    to: { kind: 'string', help: 'the cluster to translate to (the flow target)', required: true },
  },
  async run({ flags, loadConfig, output, timeoutMs }) {
    const config = loadConfig();
    const { from, to } = requireFlowAliases(config, flags);
    const access = new ClusterAccess(config, timeoutMs);
    await access.requireReachable(to);
    const result = await output.waiting(`reading checkpoints on ${to}`, () =>
      translateGroup(access, { group: stringFlag(flags, 'group') as string, from, to }),
    );
    output.result(result, () => formatTranslate(result, output.colors));
    return EXIT.OK;
  },
};
