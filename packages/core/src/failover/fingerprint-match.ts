import type { ProgressRecord } from '../records.js';
import type { FailoverPlanInput } from './failover-planner.js';
import type { FailoverPlan, FailoverPosition, PositionProblem } from './failover-position.js';
import { identityFromMetadata } from './record-fingerprint.js';

/** A fingerprint to look for, and what finding it means. */
export interface WantedRecord {
  /** `progress` (from a progress record) or `fingerprint` (from a checkpoint's commit metadata). */
  readonly basis: 'progress' | 'fingerprint';
  readonly fingerprint: string;
  /** The record's timestamp, which MM2 keeps. */
  readonly timestamp: bigint;
  /** The group's position on the cluster it leaves: the record after the fingerprinted one. */
  readonly sourceOffset: bigint;
}

/** A range of one partition of the target to read, looking for the group's last record. */
export interface FingerprintSearch {
  readonly topic: string;
  readonly partition: number;
  /** The first offset to read: one before the conservative position (the last record may be it). */
  readonly from: bigint;
  /** Read up to here, exclusive: the partition's end, or `from` plus the search bound. */
  readonly to: bigint;
  /** Whether `to` is the partition's end (else the bound cut the search short). */
  readonly reachesEnd: boolean;
  /** The partition's end when the search was planned. */
  readonly end: bigint;
  /** The search bound: the most records read. */
  readonly maxRecords: bigint;
  /** In order of preference: a progress record's fingerprint before a checkpoint's. */
  readonly wanted: readonly WantedRecord[];
}

/** What a read of a {@link FingerprintSearch}'s range found. */
export interface FingerprintScan {
  readonly topic: string;
  readonly partition: number;
  /** Every offset in the range whose record has a wanted fingerprint, ascending, by fingerprint. */
  readonly matches: ReadonlyMap<string, readonly bigint[]>;
  /** Records read. */
  readonly read: bigint;
  /**
   * Whether the read went to the range's end. A scan may stop a while after the preferred record
   * was found (the tail bound); later identical records are then not counted.
   */
  readonly complete: boolean;
  /** Why the range could not be read to its end (a timeout, the cluster failing); absent when it was. */
  readonly failure?: string;
}

/** Options of {@link fingerprintSearches}. */
export interface FingerprintSearchOptions {
  /** The most records read per partition. Default 100,000. */
  readonly maxRecords?: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
// Offsets are bigints, which Math.min and Math.max do not take.
const later = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const earlier = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The topic on `to` that holds the records a progress record of `from` names. */
function targetTopicOf(input: FailoverPlanInput, progress: ProgressRecord): string {
  const { policy } = input;
  // A copy of `to`'s own topic that the group read on `from` (a failback): the original holds them.
  if (policy.topicSource(progress.topic) === input.to)
    return policy.upstreamTopic(progress.topic) ?? progress.topic;
  return policy.formatRemoteTopic(input.from, progress.topic);
}

/**
 * Where a conservative plan can be made exact: per partition that a progress record (newer than
 * the checkpoint) or a checkpoint's commit metadata names by fingerprint, a range to read. The range
 * starts one before the planned position — every position the planner chooses has everything before
 * it processed, so the group's last record is at or after that — and reads forward to the end or to
 * the bound. Pure.
 */
export function fingerprintSearches(
  plan: FailoverPlan,
  input: FailoverPlanInput,
  options: FingerprintSearchOptions = {},
): FingerprintSearch[] {
  const limit = BigInt(options.maxRecords ?? 100_000);
  const bounds = new Map(input.partitions.map((b) => [keyOf(b.topic, b.partition), b]));
  const checkpoints = new Map(input.checkpoints.map((c) => [keyOf(c.topic, c.partition), c]));
  const progress = new Map<string, ProgressRecord>();
  for (const p of input.progress ?? []) {
    if (p.sourceCluster !== input.from) continue;
    progress.set(keyOf(targetTopicOf(input, p), p.partition), p);
  }
  const searches: FingerprintSearch[] = [];
  for (const position of plan.positions) {
    const key = keyOf(position.topic, position.partition);
    const range = bounds.get(key);
    if (!range) continue;
    const wanted: WantedRecord[] = [];
    const checkpoint = position.basis === 'checkpoint' ? checkpoints.get(key) : undefined;
    const fresh = progress.get(key);
    // A progress record older than the checkpoint describes a position the group has since left.
    if (fresh && (!checkpoint || fresh.nextOffset >= checkpoint.upstreamOffset))
      wanted.push({
        basis: 'progress',
        fingerprint: fresh.fingerprint,
        timestamp: fresh.recordTimestamp,
        sourceOffset: fresh.nextOffset,
      });
    const carried = checkpoint ? identityFromMetadata(checkpoint.metadata) : null;
    if (checkpoint && carried)
      wanted.push({ basis: 'fingerprint', ...carried, sourceOffset: checkpoint.upstreamOffset });
    if (wanted.length === 0) continue;
    // `latest` chose to skip what the partition holds: searching its tail can only skip less.
    const anchor = position.basis === 'latest' ? range.highWatermark - limit : position.offset - 1n;
    const from = anchor < range.logStart ? range.logStart : anchor;
    const to = from + limit < range.highWatermark ? from + limit : range.highWatermark;
    if (to <= from) continue;
    searches.push({
      topic: position.topic,
      partition: position.partition,
      from,
      to,
      reachesEnd: to === range.highWatermark,
      end: range.highWatermark,
      maxRecords: limit,
      wanted,
    });
  }
  return searches;
}

/**
 * A search started at the first record that can be a wanted one: `firstAtOrAfter(t)` is the
 * broker's answer to "the earliest offset whose timestamp is at least t" (ListOffsets by time;
 * null when there is none). The wanted record has timestamp t, so it lies at or after that offset
 * however out of order the partition's timestamps are, and the first match from there is still at
 * or before it: nothing can be skipped. A record with no such offset is not on the partition.
 * With several wanted records, the earliest of their starts. Pure.
 */
export function narrowByTimestamp(
  search: FingerprintSearch,
  firstAtOrAfter: (timestamp: bigint) => bigint | null,
): FingerprintSearch {
  let start: bigint | null = null;
  for (const wanted of search.wanted) {
    const at = firstAtOrAfter(wanted.timestamp);
    if (at !== null && at >= 0n && (start === null || at < start)) start = at;
  }
  // No wanted record has a timestamp on the partition at all: an empty range, reported unmatched.
  if (start === null) return { ...search, from: search.to };
  const from = later(start, search.from);
  const to = later(from, earlier(from + search.maxRecords, search.end));
  return { ...search, from, to, reachesEnd: to >= search.end };
}

/**
 * The plan with every found fingerprint applied: the position moves to the record after the
 * **first** record in the range that has it. Identical records (a producer retry without
 * idempotence, a record MM2 copied twice) share a fingerprint; the first is at or before the one
 * the group processed, so an ambiguity can only hand records again, never skip one. The replay
 * bound is then the distance to the last such record (0 when it is unique), where the read reached
 * the partition's end; null where a bound cut it short. A fingerprint not found leaves the
 * conservative position and is reported (`fingerprint-unmatched`). Pure.
 */
export function applyFingerprintScans(
  plan: FailoverPlan,
  searches: readonly FingerprintSearch[],
  scans: readonly FingerprintScan[],
): FailoverPlan {
  const searchOf = new Map(searches.map((s) => [keyOf(s.topic, s.partition), s]));
  const scanOf = new Map(scans.map((s) => [keyOf(s.topic, s.partition), s]));
  const problems: PositionProblem[] = [...plan.problems];
  const positions = plan.positions.map((position): FailoverPosition => {
    const key = keyOf(position.topic, position.partition);
    const search = searchOf.get(key);
    const scan = scanOf.get(key);
    if (!search || !scan) return position;
    // A failed read found nothing it can vouch for: what it saw before failing is not used either.
    for (const wanted of scan.failure ? [] : search.wanted) {
      const found = scan.matches.get(wanted.fingerprint) ?? [];
      const first = found[0];
      const last = found[found.length - 1];
      if (first === undefined || last === undefined) continue;
      return {
        topic: position.topic,
        partition: position.partition,
        offset: first + 1n,
        basis: wanted.basis,
        sourceOffset: wanted.sourceOffset,
        replayBound: search.reachesEnd && scan.complete ? last - first : null,
      };
    }
    const names = search.wanted.map((w) =>
      w.basis === 'progress' ? 'progress record' : 'checkpoint metadata',
    );
    problems.push({
      topic: position.topic,
      partition: position.partition,
      kind: 'fingerprint-unmatched',
      basis: search.wanted[0]?.basis ?? 'progress',
      offset: search.from,
      lostRecords: 0n,
      message: scan.failure
        ? `${position.topic}[${position.partition}]: looking for the group's last record (fingerprint from the ${names.join(' and the ')}) failed after ${scan.read} record(s): ${scan.failure}; resuming at the ${position.basis} position ${position.offset}`
        : `${position.topic}[${position.partition}]: the group's last record (fingerprint from the ${names.join(' and the ')}) ` +
          `is not among the ${scan.read} record(s) read from offset ${search.from}${search.reachesEnd ? ' to the end' : ` (the search bound, ${search.to - search.from} records)`}: ` +
          `not replicated yet, or changed on the way (headers, timestamp type); resuming at the ${position.basis} position ${position.offset}`,
    });
    return position;
  });
  const byPartition = (a: PositionProblem, b: PositionProblem) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
  return { positions, problems: problems.sort(byPartition), lostRecords: plan.lostRecords };
}
