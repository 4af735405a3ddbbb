import { MirrorKitError } from '@mirrorkit/core';
import { type Fingerprint, fingerprint } from './key-fingerprint.js';

/** Options of {@link Deduplicator}. */
export interface DeduplicatorOptions {
  /**
   * Most keys remembered at once; memory is reserved for this many up front. Default 1,000,000
   * (about 36–48 MB).
   */
  maxKeys?: number;
  /** Keys are forgotten this long after they were first seen. Default: never (count bound only). */
  windowMs?: number;
  /** The clock, in ms. Default `Date.now`. A clock that steps back is treated as standing still. */
  now?: () => number;
}

/** Counters of a {@link Deduplicator}. */
export interface DeduplicatorStats {
  /** Keys remembered now. */
  readonly size: number;
  readonly checks: number;
  readonly duplicates: number;
  /** Keys forgotten because they were older than the window. */
  readonly expired: number;
  /**
   * Keys forgotten while still inside the window because `maxKeys` was reached. A duplicate of
   * one of these passes as first-seen: if this grows, raise `maxKeys` or shorten the window.
   */
  readonly evictedInsideWindow: number;
}

/** Bad options for a {@link Deduplicator}. */
export class MirrorKitDedupError extends MirrorKitError {
  declare readonly code: 'DEDUP_INVALID_OPTION';
  constructor(message: string) {
    super('DEDUP_INVALID_OPTION', message);
  }
}

/**
 * Remembers which keys (region-prefixed ids such as `us-east:order-12345`) were seen, in O(1)
 * per operation and bounded memory.
 *
 * Guarantee: a key seen at time t is reported as a duplicate at any later time before
 * t + `windowMs`, as long as fewer than `maxKeys` keys were seen since. Past either bound the key
 * is forgotten and a late duplicate passes as first-seen; such forgetting inside the window is
 * counted in {@link DeduplicatorStats.evictedInsideWindow}. Keys are forgotten oldest first.
 *
 * Keys are kept as 64-bit fingerprints, not strings: about 36 bytes per key (48 at worst, as the
 * table size rounds up to a power of two), whatever the key length. Two different keys share a
 * fingerprint with probability about 2^-64 per pair, so with a million keys remembered a new key
 * is mistaken for a duplicate with probability about 5·10^-14.
 *
 * @example
 * ```ts
 * const seen = new Deduplicator({ maxKeys: 1_000_000, windowMs: 24 * 3600_000 });
 * seen.check('us-east:order-1'); // 'first'
 * seen.check('us-east:order-1'); // 'duplicate'
 * ```
 */
export class Deduplicator {
  readonly maxKeys: number;
  readonly windowMs: number;
  readonly #now: () => number;
  // Open-addressing table (linear probing, at most half full), three u32 per slot side by side so
  // a probe touches one cache line: fingerprint high, fingerprint low, ring position.
  readonly #mask: number;
  readonly #table: Uint32Array;
  // Insertion-ordered ring: the table slot of each remembered key and when it was first seen.
  // Knowing the slot makes evicting the oldest key one table access, not a lookup.
  readonly #ringSlot: Uint32Array;
  readonly #ringAt: Float64Array;
  #head = 0;
  #size = 0;
  #lastNow = Number.NEGATIVE_INFINITY;
  #checks = 0;
  #duplicates = 0;
  #expired = 0;
  #evictedInsideWindow = 0;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  // has(key) then add(key) for the same key is the dedup handler's pattern: hash once.
  #fpKey: string | null = null;

  constructor(options: DeduplicatorOptions = {}) {
    const maxKeys = options.maxKeys ?? 1_000_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 2 ** 28)
      throw new MirrorKitDedupError(`maxKeys must be an integer from 1 to ${2 ** 28}, got ${maxKeys}`);
    const windowMs = options.windowMs ?? Number.POSITIVE_INFINITY;
    if (!(windowMs > 0)) throw new MirrorKitDedupError(`windowMs must be > 0, got ${windowMs}`);
    this.maxKeys = maxKeys;
    this.windowMs = windowMs;
    this.#now = options.now ?? Date.now;
    let slots = 2;
    while (slots < maxKeys * 2) slots *= 2;
    this.#mask = slots - 1;
    this.#table = new Uint32Array(slots * 3);
    this.#ringSlot = new Uint32Array(maxKeys);
    this.#ringAt = new Float64Array(maxKeys);
  }

  /** Records `key` as seen and says whether it had been seen (and not yet forgotten) before. */
  check(key: string): 'first' | 'duplicate' {
    this.#checks++;
    // Without a window, times are never read: skip the clock (a Date.now() costs ~50 ns).
    const now = this.windowMs === Number.POSITIVE_INFINITY ? 0 : this.#clock();
    this.#expire(now);
    const fp = this.#fingerprint(key);
    const slot = this.#probe(fp.hi, fp.lo);
    if (!this.#isFree(slot)) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#insert(fp.hi, fp.lo, now, this.#size < this.maxKeys ? slot : -1);
    return 'first';
  }

  /** Whether `key` is remembered, without recording it (for "process, then remember"). */
  has(key: string): boolean {
    this.#expire(this.#clock());
    const fp = this.#fingerprint(key);
    return !this.#isFree(this.#probe(fp.hi, fp.lo));
  }

  /**
   * Remembers `key` as first seen at `seenAtMs` (default now), e.g. when restoring from a
   * persisted seen-set. Returns false when it was already remembered or is older than the window.
   * Restore in first-seen order: eviction follows the order keys were added.
   */
  add(key: string, seenAtMs?: number): boolean {
    const now = this.#clock();
    this.#expire(now);
    const at = Math.min(seenAtMs ?? now, now);
    if (now - at >= this.windowMs) return false;
    const fp = this.#fingerprint(key);
    const slot = this.#probe(fp.hi, fp.lo);
    if (!this.#isFree(slot)) return false;
    this.#insert(fp.hi, fp.lo, at, this.#size < this.maxKeys ? slot : -1);
    return true;
  }

  /** Counters since construction. */
  stats(): DeduplicatorStats {
    return {
      size: this.#size,
      checks: this.#checks,
      duplicates: this.#duplicates,
      expired: this.#expired,
      evictedInsideWindow: this.#evictedInsideWindow,
    };
  }

  /** Bytes reserved by the typed arrays: the whole cost of remembering `maxKeys` keys. */
  get reservedBytes(): number {
    return this.#table.byteLength + this.#ringSlot.byteLength + this.#ringAt.byteLength;
  }

  #fingerprint(key: string): Fingerprint {
    if (key !== this.#fpKey) {
      fingerprint(key, this.#fp);
      this.#fpKey = key;
    }
    return this.#fp;
  }

  #clock(): number {
    const now = this.#now();
    if (now > this.#lastNow) this.#lastNow = now;
    return this.#lastNow;
  }

  #expire(now: number): void {
    if (this.windowMs === Number.POSITIVE_INFINITY) return;
    while (this.#size > 0 && now - (this.#ringAt[this.#head] as number) >= this.windowMs) {
      this.#expired++;
      this.#evictHead();
    }
  }

  #evictHead(): void {
    const head = this.#head;
    this.#removeAt(this.#ringSlot[head] as number);
    this.#head = head + 1 === this.maxKeys ? 0 : head + 1;
    this.#size--;
  }

  #isFree(slot: number): boolean {
    const i = slot * 3;
    return this.#table[i] === 0 && this.#table[i + 1] === 0;
  }

  /** `freeSlot`: the slot a probe just found for `hi:lo`, or -1 to probe (after an eviction). */
  #insert(hi: number, lo: number, at: number, freeSlot = -1): void {
    if (this.#size === this.maxKeys) {
      this.#evictedInsideWindow++;
      this.#evictHead();
    }
    const slot = freeSlot >= 0 ? freeSlot : this.#probe(hi, lo);
    let pos = this.#head + this.#size;
    if (pos >= this.maxKeys) pos -= this.maxKeys;
    const i = slot * 3;
    this.#table[i] = hi;
    this.#table[i + 1] = lo;
    this.#table[i + 2] = pos;
    this.#ringSlot[pos] = slot;
    this.#ringAt[pos] = at;
    this.#size++;
  }

  #home(hi: number, lo: number): number {
    return (lo ^ Math.imul(hi, 0x9e3779b1)) & this.#mask;
  }

  /** The slot holding `hi:lo`, or the free slot where it would go. */
  #probe(hi: number, lo: number): number {
    const table = this.#table;
    let slot = this.#home(hi, lo);
    for (;;) {
      const i = slot * 3;
      const h = table[i] as number;
      const l = table[i + 1] as number;
      if ((h === hi && l === lo) || (h === 0 && l === 0)) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  // Deletion with backward shift, so lookups never need tombstones; moved entries tell the ring.
  #removeAt(slot: number): void {
    const table = this.#table;
    let hole = slot;
    let next = (hole + 1) & this.#mask;
    for (;;) {
      const n = next * 3;
      const h = table[n] as number;
      const l = table[n + 1] as number;
      if (h === 0 && l === 0) break;
      const home = this.#home(h, l);
      // Move the entry at `next` into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!stays) {
        const o = hole * 3;
        const pos = table[n + 2] as number;
        table[o] = h;
        table[o + 1] = l;
        table[o + 2] = pos;
        this.#ringSlot[pos] = hole;
        hole = next;
      }
      next = (next + 1) & this.#mask;
    }
    const o = hole * 3;
    table[o] = 0;
    table[o + 1] = 0;
    table[o + 2] = 0;
  }
}
