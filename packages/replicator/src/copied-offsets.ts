import { MirrorKitReplicatorError } from './replicator-error.js';

/** Copy ranges kept per source partition unless {@link CopiedOffsets} is told otherwise. */
export const COPIED_RANGES_PER_PARTITION = 1024;

/** Each range takes three int64 slots: upstream start, downstream start, length. */
const SLOTS = 3;
const FIRST_CAPACITY = 4;

/**
 * One stretch of a source partition copied without a break: `length` records from upstream offset
 * `upstream` on, in upstream order, landed at consecutive target offsets from `downstream` on.
 */
export interface CopiedRange {
  readonly upstream: bigint;
  readonly downstream: bigint;
  readonly length: bigint;
}

/** The newest ranges of one partition, oldest first, in a ring that grows by doubling up to `max`. */
class PartitionRanges {
  #slots = new BigInt64Array(0);
  #head = 0;
  #count = 0;

  constructor(
    readonly generation: number,
    readonly max: number,
  ) {}

  get count(): number {
    return this.#count;
  }

  #at(i: number, field: 0 | 1 | 2): bigint {
    const ranges = this.#slots.length / SLOTS;
    return this.#slots[((this.#head + i) % ranges) * SLOTS + field] as bigint;
  }

  range(i: number): CopiedRange {
    return { upstream: this.#at(i, 0), downstream: this.#at(i, 1), length: this.#at(i, 2) };
  }

  /**
   * Takes in one record written at `downstream`; false when `downstream` is below the newest
   * range's end, which only a truncated or recreated remote partition explains.
   */
  record(upstream: bigint, downstream: bigint): boolean {
    if (this.#count === 0) {
      this.#push(upstream, downstream);
      return true;
    }
    const last = this.#count - 1;
    const length = this.#at(last, 2);
    const upstreamEnd = this.#at(last, 0) + length;
    const downstreamEnd = this.#at(last, 1) + length;
    if (downstream < downstreamEnd) return false;
    // A re-copy (the copy consumer resumed from a commit older than what it had copied): the first
    // copy of each of these records stays the translation, because records past the re-copy's
    // progress exist on the target only as first copies, and resuming after their re-copies'
    // offsets would skip them.
    if (upstream < upstreamEnd) return true;
    if (upstream === upstreamEnd && downstream === downstreamEnd) {
      const ranges = this.#slots.length / SLOTS;
      this.#slots[((this.#head + last) % ranges) * SLOTS + 2] = length + 1n;
      return true;
    }
    // An upstream gap (transaction markers, compaction, records another process copied) or a
    // downstream jump (transaction markers on the target, another writer): a new range, since
    // offsets inside a gap have no copy this process knows of.
    this.#push(upstream, downstream);
    return true;
  }

  #push(upstream: bigint, downstream: bigint): void {
    const capacity = this.#slots.length / SLOTS;
    if (this.#count === capacity && capacity < this.max) {
      const grown = new BigInt64Array(Math.min(this.max, Math.max(FIRST_CAPACITY, capacity * 2)) * SLOTS);
      for (let i = 0; i < this.#count; i++)
        for (const field of [0, 1, 2] as const) grown[i * SLOTS + field] = this.#at(i, field);
      this.#slots = grown;
      this.#head = 0;
    }
    const ranges = this.#slots.length / SLOTS;
    if (this.#count === ranges) {
      // Full: the oldest range goes, and its offsets fall back to the offset syncs.
      this.#head = (this.#head + 1) % ranges;
      this.#count--;
    }
    const at = ((this.#head + this.#count) % ranges) * SLOTS;
    this.#slots[at] = upstream;
    this.#slots[at + 1] = downstream;
    this.#slots[at + 2] = 1n;
    this.#count++;
  }

  translate(upstream: bigint): bigint | null {
    // The newest range starting at or before the offset: ranges are in upstream order.
    let low = 0;
    let high = this.#count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.#at(mid, 0) <= upstream) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (found < 0) return null;
    const start = this.#at(found, 0);
    // Inside the range: the record's own copy. One past its end: right after its last record's
    // copy, which is where anything the group has not processed yet can only come after.
    if (upstream - start <= this.#at(found, 2)) return this.#at(found, 1) + (upstream - start);
    return null;
  }
}

/**
 * Where this process copied each recent stretch of its source partitions, for exact checkpoints:
 * a group committed at upstream offset C resumes on the target at the copy of record C (or right
 * after the copy of C − 1), not at the last offset sync before it.
 *
 * Per partition it keeps the newest `maxRangesPerPartition` contiguous copy ranges (default
 * {@link COPIED_RANGES_PER_PARTITION}), split at every upstream gap and every downstream jump, at
 * 24 bytes a range: at most 24 KiB per partition at the default, and one range for a partition
 * copied in one go without gaps. Offsets in gaps, in evicted ranges or past the copy answer
 * nothing (`null`), so the caller falls back to the offset syncs. A downstream offset below what
 * was copied (the remote partition truncated or recreated) starts the partition afresh, under a
 * new {@link CopiedOffsets.generation}.
 */
export class CopiedOffsets {
  readonly #max: number;
  readonly #partitions = new Map<string, PartitionRanges>();
  #generations = 0;

  constructor(options: { maxRangesPerPartition?: number } = {}) {
    const max = options.maxRangesPerPartition ?? COPIED_RANGES_PER_PARTITION;
    if (!Number.isInteger(max) || max < 1)
      throw new MirrorKitReplicatorError(
        'REPLICATOR_BAD_ARGUMENT',
        `maxRangesPerPartition must be a positive integer, got ${max}`,
      );
    this.#max = max;
  }

  /**
   * Takes in that the record at `upstream` on the partition `key` was written at `downstream` on the
   * target, in copy order. Only records the target acknowledged (and, in a transaction, committed)
   * may be recorded: a translation is a promise that the copy is there.
   */
  record(key: string, upstream: bigint, downstream: bigint): void {
    if (upstream < 0n || downstream < 0n)
      throw new MirrorKitReplicatorError(
        'REPLICATOR_BAD_ARGUMENT',
        `offsets are never negative: ${upstream} copied to ${downstream}`,
      );
    let ranges = this.#partitions.get(key);
    if (!ranges) {
      ranges = new PartitionRanges(++this.#generations, this.#max);
      this.#partitions.set(key, ranges);
    }
    if (ranges.record(upstream, downstream)) return;
    ranges = new PartitionRanges(++this.#generations, this.#max);
    this.#partitions.set(key, ranges);
    ranges.record(upstream, downstream);
  }

  /**
   * The target offset at which a group committed at `upstream` on the source resumes without
   * skipping or replaying anything: the copy of record `upstream`, or one past the copy of record
   * `upstream − 1` when `upstream` itself was not copied (the end of a range: the group is at the
   * head, or at a transaction marker). Null when no kept range holds either.
   */
  translateDownstream(key: string, upstream: bigint): bigint | null {
    return this.#partitions.get(key)?.translate(upstream) ?? null;
  }

  /**
   * Changes whenever the partition's history starts afresh (first record, a truncated remote, or
   * after {@link CopiedOffsets.retain} let it go); 0 when nothing is kept for it.
   */
  generation(key: string): number {
    return this.#partitions.get(key)?.generation ?? 0;
  }

  /** Forgets partitions not in `keys`: another process copies them now, past what is kept here. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#partitions.keys()) if (!keys.has(key)) this.#partitions.delete(key);
  }

  /** The kept ranges of a partition, oldest first. */
  ranges(key: string): CopiedRange[] {
    const ranges = this.#partitions.get(key);
    return ranges ? Array.from({ length: ranges.count }, (_, i) => ranges.range(i)) : [];
  }
}
