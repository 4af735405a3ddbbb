import type { OffsetSync } from '../records.js';

/** The newest offset sync per (source topic, partition); syncs must be in topic order. */
export function latestSyncs(syncs: Iterable<OffsetSync>): Map<string, OffsetSync> {
  const latest = new Map<string, OffsetSync>();
  for (const sync of syncs) latest.set(syncKey(sync.topic, sync.partition), sync);
  return latest;
}

/** The key {@link latestSyncs} files a partition under. */
export function syncKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** How far a remote partition trails its source, in records. */
export interface ReplicationLag {
  readonly records: bigint;
  /**
   * `sync` when measured from an offset sync (an upper bound: upstream gaps such as transaction
   * markers only make the true lag smaller); `estimate` when no sync exists and the end offsets
   * were compared directly (right for topics replicated from offset 0 without gaps).
   */
  readonly basis: 'sync' | 'estimate';
}

/**
 * Records written to the source partition that the remote partition does not hold yet. With an
 * offset sync (u, d) — source offset u is target offset d — the target's end `targetEnd` covers the
 * source up to at least `u + (targetEnd - d)`.
 */
export function replicationLag(
  sourceEnd: bigint,
  targetEnd: bigint,
  sync: OffsetSync | undefined,
): ReplicationLag {
  const covered = sync ? sync.upstreamOffset + (targetEnd - sync.downstreamOffset) : targetEnd;
  const lag = sourceEnd - covered;
  return { records: lag > 0n ? lag : 0n, basis: sync ? 'sync' : 'estimate' };
}

/**
 * Translates a position on a remote topic back to its source topic, through the forward flow's
 * offset syncs: the group has processed everything before `downstreamOffset` on the target.
 * The newest sync (u, d) with d <= downstreamOffset proves the group processed the source record at
 * u when d < downstreamOffset, so it resumes at u + 1 (or at u when d equals it). Never past a
 * record it has not processed; null when no sync is old enough (nothing can be proven).
 * `syncs` are one partition's syncs in topic order.
 */
export function translateBack(syncs: readonly OffsetSync[], downstreamOffset: bigint): bigint | null {
  return proveBack(syncs, downstreamOffset)?.offset ?? null;
}

/**
 * {@link translateBack}, with the sync that proves the answer: the position and the caller's
 * bound on what it replays come from one proof, not from two searches that could disagree.
 */
export function proveBack(
  syncs: readonly OffsetSync[],
  downstreamOffset: bigint,
): { offset: bigint; sync: OffsetSync } | null {
  let best: OffsetSync | undefined;
  for (const sync of syncs) {
    // Syncs of a partition only move forward, but a replicator restarted from an older position can
    // rewrite an older pair: take the best proof, not merely the last record.
    if (sync.downstreamOffset <= downstreamOffset && (!best || sync.upstreamOffset > best.upstreamOffset))
      best = sync;
  }
  if (!best) return null;
  const offset = best.downstreamOffset < downstreamOffset ? best.upstreamOffset + 1n : best.upstreamOffset;
  return { offset, sync: best };
}
