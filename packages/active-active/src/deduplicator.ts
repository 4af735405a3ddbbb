import { MirrorKitError } from '@mirrorkit/core';
import { type Fingerprint, fingerprint } from './key-fingerprint.js';

/** Options of {@link Deduplicator}. */
export interface DeduplicatorOptions {
  /**
   * Most keys remembered at once; memory is reserved for this many up front. Default 1,000,000
   * (about 32–48 MB).
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
 * Keys are kept as 64-bit fingerprints, not strings: about 32 bytes per key (48 at worst, as the
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
  // Open-addressing table of fingerprints (linear probing, at most half full).
  readonly #mask: number;
  readonly #tableHi: Uint32Array;
  readonly #tableLo: Uint32Array;
  // Insertion-ordered ring of the same fingerprints with first-seen times: eviction order.
  readonly #ringHi: Uint32Array;
  readonly #ringLo: Uint32Array;
  readonly #ringAt: Float64Array;
  #head = 0;
  #size = 0;
  #lastNow = Number.NEGATIVE_INFINITY;
  #checks = 0;
  #duplicates = 0;
  #expired = 0;
  #evictedInsideWindow = 0;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };

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
    this.#tableHi = new Uint32Array(slots);
    this.#tableLo = new Uint32Array(slots);
    this.#ringHi = new Uint32Array(maxKeys);
    this.#ringLo = new Uint32Array(maxKeys);
    this.#ringAt = new Float64Array(maxKeys);
  }

  /** Records `key` as seen and says whether it had been seen (and not yet forgotten) before. */
  check(key: string): 'first' | 'duplicate' {
    this.#checks++;
    const now = this.#clock();
    this.#expire(now);
    const fp = fingerprint(key, this.#fp);
    if (this.#find(fp.hi, fp.lo) >= 0) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#insert(fp.hi, fp.lo, now);
    return 'first';
  }

  /** Whether `key` is remembered, without recording it (for "process, then remember"). */
  has(key: string): boolean {
    this.#expire(this.#clock());
    const fp = fingerprint(key, this.#fp);
    return this.#find(fp.hi, fp.lo) >= 0;
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
    const fp = fingerprint(key, this.#fp);
    if (this.#find(fp.hi, fp.lo) >= 0) return false;
    this.#insert(fp.hi, fp.lo, at);
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
    return (
      this.#tableHi.byteLength +
      this.#tableLo.byteLength +
      this.#ringHi.byteLength +
      this.#ringLo.byteLength +
      this.#ringAt.byteLength
    );
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
    this.#remove(this.#ringHi[head] as number, this.#ringLo[head] as number);
    this.#head = head + 1 === this.maxKeys ? 0 : head + 1;
    this.#size--;
  }

  #insert(hi: number, lo: number, at: number): void {
    if (this.#size === this.maxKeys) {
      this.#evictedInsideWindow++;
      this.#evictHead();
    }
    let slot = this.#slotOf(hi, lo);
    while (this.#tableHi[slot] !== 0 || this.#tableLo[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#tableHi[slot] = hi;
    this.#tableLo[slot] = lo;
    let tail = this.#head + this.#size;
    if (tail >= this.maxKeys) tail -= this.maxKeys;
    this.#ringHi[tail] = hi;
    this.#ringLo[tail] = lo;
    this.#ringAt[tail] = at;
    this.#size++;
  }

  #slotOf(hi: number, lo: number): number {
    return (lo ^ Math.imul(hi, 0x9e3779b1)) & this.#mask;
  }

  #find(hi: number, lo: number): number {
    let slot = this.#slotOf(hi, lo);
    for (;;) {
      const h = this.#tableHi[slot] as number;
      const l = this.#tableLo[slot] as number;
      if (h === hi && l === lo) return slot;
      if (h === 0 && l === 0) return -1;
      slot = (slot + 1) & this.#mask;
    }
  }

  // Deletion with backward shift, so lookups never need tombstones.
  #remove(hi: number, lo: number): void {
    let hole = this.#find(hi, lo);
    if (hole < 0) return;
    let next = (hole + 1) & this.#mask;
    for (;;) {
      const h = this.#tableHi[next] as number;
      const l = this.#tableLo[next] as number;
      if (h === 0 && l === 0) break;
      const home = this.#slotOf(h, l);
      // Move the entry at `next` into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!stays) {
        this.#tableHi[hole] = h;
        this.#tableLo[hole] = l;
        hole = next;
      }
      next = (next + 1) & this.#mask;
    }
    this.#tableHi[hole] = 0;
    this.#tableLo[hole] = 0;
  }
}
