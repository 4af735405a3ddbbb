import type { OffsetSync } from './records.js';

/** Syncs kept per partition: enough for exponentially spaced slots over the whole int64 range. */
export const SYNCS_PER_PARTITION = 64;

/**
 * Offset syncs per source partition, and conservative translation of a group's upstream offset
 * into a downstream offset, for the replicator's checkpoints.
 *
 * The rule (the same one MM2 follows since Kafka 3.5, KAFKA-14666): find the newest kept sync whose
 * upstream offset is at or before the group's offset. If it is exactly the group's offset, the
 * answer is its downstream offset; if the group is past it, the answer is its downstream offset
 * plus one. Every record the group had not yet consumed upstream lies at or after that downstream
 * offset, so resuming there can replay records but never skips one. If every kept sync is newer
 * than the group's offset, there is no answer (`null`): no checkpoint is better than a wrong one.
 *
 * Memory is bounded: each partition keeps 64 slots. Slot 0 is the newest sync; slot k is at most
 * 2^k − 1 offsets behind it, and consecutive slots are spread out (slot k is at least
 * 2^max(k−3, 0) before slot k−1 unless they are the same sync). So precision is best for groups
 * near the head of the topic and coarsens exponentially with distance, as MM2's does. A sync whose
 * upstream offset moves backwards (a truncated or recreated topic) clears the partition's history.
 */
export class OffsetSyncStore {
  readonly #syncs = new Map<string, OffsetSync[]>();
  #ready = true;

  /**
   * @param options.readToEnd When false, the store answers nothing until {@link OffsetSyncStore.markReadToEnd}
   * (MM2 does not translate while it is still catching up on the offset-syncs topic, because a
   * partial history could translate to an offset that is too far ahead). Default true.
   */
  constructor(options: { readToEnd?: boolean } = {}) {
    this.#ready = options.readToEnd ?? true;
  }

  /** Allows translation once the offset-syncs topic has been read to its end. */
  markReadToEnd(): void {
    this.#ready = true;
  }

  /** Number of distinct syncs kept for a partition (at most {@link SYNCS_PER_PARTITION}). */
  keptSyncs(topic: string, partition: number): number {
    return new Set(this.#syncs.get(`${topic}\u0000${partition}`)).size;
  }

  /** Adds a sync in topic order. */
  add(sync: OffsetSync): void {
    const key = `${sync.topic}\u0000${sync.partition}`;
    const old = this.#syncs.get(key);
    if (!old || sync.upstreamOffset < (old[0] as OffsetSync).upstreamOffset) {
      this.#syncs.set(key, new Array<OffsetSync>(SYNCS_PER_PARTITION).fill(sync));
      return;
    }
    this.#syncs.set(key, nextSlots(old, sync));
  }

  /**
   * The downstream offset for a group at `upstreamOffset` on the source partition, or null when
   * the store cannot translate it (not read to end, no sync for the partition, or every kept sync
   * is newer than the offset).
   */
  translateDownstream(topic: string, partition: number, upstreamOffset: bigint): bigint | null {
    if (!this.#ready) return null;
    const slots = this.#syncs.get(`${topic}\u0000${partition}`);
    if (!slots) return null;
    for (const sync of slots) {
      if (sync.upstreamOffset <= upstreamOffset) {
        return sync.downstreamOffset + (sync.upstreamOffset === upstreamOffset ? 0n : 1n);
      }
    }
    return null;
  }
}

const pow2 = (n: number): bigint => 1n << BigInt(n);

/**
 * Builds the slots after `sync`: slot 0 is the new sync, and each later slot takes the oldest
 * candidate that is still within reach of the slot before it (at most 2^(k−1) behind) and far
 * enough from it (at least 2^max(k−3,0) behind); without such a candidate the slot repeats the
 * previous one.
 */
function nextSlots(old: readonly OffsetSync[], sync: OffsetSync): OffsetSync[] {
  // Candidates newest first, without repeats; the new sync replaces an equal-offset old one.
  const candidates: OffsetSync[] = [];
  for (const s of old) {
    if (s.upstreamOffset >= sync.upstreamOffset) continue;
    if (candidates[candidates.length - 1] !== s) candidates.push(s);
  }
  const slots: OffsetSync[] = [sync];
  let cursor = 0;
  for (let k = 1; k < SYNCS_PER_PARTITION; k++) {
    const previous = slots[k - 1] as OffsetSync;
    const oldest = previous.upstreamOffset - pow2(k - 1);
    const newest = previous.upstreamOffset - pow2(Math.max(k - 3, 0));
    let chosen: OffsetSync = previous;
    for (let i = cursor; i < candidates.length; i++) {
      const c = candidates[i] as OffsetSync;
      if (c.upstreamOffset < oldest) break;
      if (c.upstreamOffset <= newest) {
        chosen = c;
        cursor = i + 1;
      }
    }
    slots.push(chosen);
  }
  return slots;
}
