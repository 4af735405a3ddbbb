import { duration, type FailoverPosition, type PositionProblem } from '@mirrorkit/core';
import type { ProgressRead } from './failover-inputs.js';

/** `us-east.orders[0,2], payments[1]`: partitions grouped by topic, in the order given. */
export function partitionList(partitions: readonly { topic: string; partition: number }[]): string {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  return [...byTopic].map(([topic, list]) => `${topic}[${list.join(',')}]`).join(', ');
}

/** The MAY REPLAY cell: core's bound, or `unbounded` where nothing proves one. */
export function replayCell(position: FailoverPosition): string {
  return position.replayBound === null ? 'unbounded' : position.replayBound.toString();
}

/** How a problem line starts: what was done with the candidate. */
export function problemLabel(problem: PositionProblem): string {
  switch (problem.kind) {
    case 'below-log-start':
      return 'clamped';
    case 'fingerprint-unmatched':
      return 'not exact';
    default:
      return 'refused';
  }
}

/**
 * Where the plan resumes right after a record named by fingerprint (a progress record, or a
 * checkpoint's commit metadata) and found on the target; null when nowhere.
 */
export function exactNote(positions: readonly FailoverPosition[], to: string): string | null {
  const progress = positions.filter((p) => p.basis === 'progress');
  const fingerprint = positions.filter((p) => p.basis === 'fingerprint');
  if (progress.length + fingerprint.length === 0) return null;
  const parts = [
    ...(progress.length > 0 ? [[progress, "the group's progress record names"] as const] : []),
    ...(fingerprint.length > 0 ? [[fingerprint, "the checkpoint's commit metadata names"] as const] : []),
  ].map(
    ([list, names], i) => `${partitionList(list)} ${i === 0 ? 'resume ' : ''}right after the record ${names}`,
  );
  return `exact: ${parts.join(', ')}; found on ${to} by its fingerprint`;
}

/**
 * For partitions that resume at a plain checkpoint (no fingerprint to refine it by): the replay
 * that stays and how to remove it. Partitions whose fingerprint was looked for and not found are
 * left out — their problem line says why, and the advice would be wrong for them.
 */
export function replayNote(
  positions: readonly FailoverPosition[],
  problems: readonly PositionProblem[],
): string[] {
  const unmatched = new Set(
    problems.filter((p) => p.kind === 'fingerprint-unmatched').map((p) => `${p.topic}\u0000${p.partition}`),
  );
  const plain = positions.filter(
    (p) => p.basis === 'checkpoint' && !unmatched.has(`${p.topic}\u0000${p.partition}`),
  );
  if (plain.length === 0) return [];
  return [
    `replay not removed: ${partitionList(plain)} resume at MM2's checkpoint (MAY REPLAY unbounded): it can trail the group's last commit ` +
      "by an offset sync's distance (offset.lag.max, 100 records by default; more far behind the end of the topic) " +
      'and by what the group committed after MM2 wrote it; those records are handed to the group again.',
    'to remove it: commit with fingerprintedCommit from @mirrorkit/client (autoCommit false): MM2 copies the fingerprint into its checkpoints ' +
      'and failover resumes right after the checkpointed record; or consume with the MirrorKit consumer, whose progress records on the DR cluster are newer than any checkpoint.',
  ];
}

/** What the progress read adds to a report: why it failed, or the records it skipped. */
export function progressNotes(progress: ProgressRead): string[] {
  const notes: string[] = [];
  if (progress.error !== null)
    notes.push(
      `progress records not read from ${progress.topic}: ${progress.error}; positions from checkpoints alone`,
    );
  if (progress.skippedRecords > 0)
    notes.push(
      `${progress.skippedRecords} record(s) in ${progress.topic} were not progress records and were skipped`,
    );
  return notes;
}

/** `; 3 progress record(s) of the group in mirrorkit-progress.internal, newest 1.2 s old`, or ''. */
export function progressSummary(progress: ProgressRead, nowMs: number): string {
  if (!progress.found || progress.error !== null) return '';
  if (progress.records === 0) return `; no progress records of the group in ${progress.topic}`;
  const age =
    progress.newestWrittenAtMs === null
      ? ''
      : `, newest ${duration(Math.max(0, nowMs - progress.newestWrittenAtMs))} old`;
  return `; ${progress.records} progress record(s) of the group in ${progress.topic}${age}`;
}
