import { MirrorKitError } from '@mirrorkit/core';
import { type Fingerprint, fingerprint, fingerprintBytes } from './key-fingerprint.js';

/** Options of {@link Deduplicator}. */
export interface DeduplicatorOptions {
  /**
   * Most keys remembered at once; memory is reserved for this many up front. Default 1,000,000
   * (about 25 MB; 33 MB with a `windowMs`).
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
 * Fingerprint-level access for {@link dedup}, which hashes a record key once (from its bytes) and
 * holds the fingerprint across its handler's await. Not exported from the package.
 * @internal
 */
export const fingerprintAccess = {
  has: (_d: Deduplicator, _hi: number, _lo: number): boolean => false,
  add: (_d: Deduplicator, _hi: number, _lo: number): void => undefined,
  /**
   * Loads the table lines that checks of fingerprints `from` to `to` (exclusive) of `fps` (hi and
   * lo word side by side; (0, 0) for none) will probe, and those of as many keys due for eviction,
   * so that the cache misses of a batch overlap instead of following one another. Changes nothing.
   */
  prefetch: (_d: Deduplicator, _fps: Uint32Array, _from: number, _to: number): void => undefined,
};

/**
 * Remembers which keys (region-prefixed ids such as `us-east:order-12345`) were seen, in O(1)
 * per operation and bounded memory.
 *
 * Guarantee: a key seen at time t is reported as a duplicate at any later time before
 * t + `windowMs`, as long as fewer than `maxKeys` keys were seen since. Past either bound the key
 * is forgotten and a late duplicate passes as first-seen; such forgetting inside the window is
 * counted in {@link DeduplicatorStats.evictedInsideWindow}. Keys are forgotten oldest first.
 *
 * A key is a string or its UTF-8 bytes (a record key as kafkajs hands it over): `check(bytes)` and
 * `check(bytes.toString())` are the same key, so keys persisted as text and restored with
 * {@link add} match keys later checked as bytes. Bytes that are not valid UTF-8 stand for their
 * decoding, as `Buffer#toString` gives it.
 *
 * Keys are kept as 64-bit fingerprints, not strings, whatever the key length: a table of 8-byte
 * slots at most half full (16–32 bytes per key, as its size rounds up to a power of two) and 8
 * bytes per key in the eviction ring, 16 with a window (when each key was first seen). That is
 * 24.8 bytes per key at 1M keys, 32.8 with a window; 40 and 48 at worst. Two different keys share
 * a fingerprint with probability about 2^-64 per pair, so with a million keys remembered a new key
 * is mistaken for a duplicate with probability about 5·10^-14.
 *
 * @example
 * ```ts
 * const seen = new Deduplicator({ maxKeys: 1_000_000, windowMs: 24 * 3600_000 });
 * seen.check('us-east:order-1'); // 'first'
 * seen.check(Buffer.from('us-east:order-1')); // 'duplicate'
 * ```
 */
export class Deduplicator {
  readonly maxKeys: number;
  readonly windowMs: number;
  readonly #now: () => number;
  readonly #windowed: boolean;
  // Open-addressing table (linear probing, at most half full): the fingerprint's high and low word
  // side by side, 8 bytes a slot, eight slots to a cache line. (0, 0) marks a free slot.
  readonly #mask: number;
  readonly #table: Uint32Array;
  // Insertion-ordered ring of the remembered fingerprints (two words each) and, with a window, when
  // each was first seen. Evicting the oldest key takes its fingerprint from here and deletes it
  // from the table; entries moving inside the table never touch the ring.
  readonly #ringFp: Uint32Array;
  readonly #ringAt: Float64Array;
  #head = 0;
  #size = 0;
  #lastNow = Number.NEGATIVE_INFINITY;
  #checks = 0;
  #duplicates = 0;
  #expired = 0;
  #evictedInsideWindow = 0;
  // Written by #touchOldest so that its load is not optimised away.
  #sink = 0;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  // has(key) then add(key) for the same key string is a common pattern: hash once.
  #fpKey: string | null = null;
  // ...and probe once: the free slot has() found for hi:lo, valid until the table next changes.
  #hintHi = 0;
  #hintLo = 0;
  #hintSlot = -1;

  static {
    fingerprintAccess.has = (d, hi, lo) => d.#hasFp(hi, lo);
    fingerprintAccess.add = (d, hi, lo) => void d.#addFp(hi, lo, undefined);
    fingerprintAccess.prefetch = (d, fps, from, to) => d.#prefetch(fps, from, to);
  }

  constructor(options: DeduplicatorOptions = {}) {
    const maxKeys = options.maxKeys ?? 1_000_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 2 ** 28)
      throw new MirrorKitDedupError(`maxKeys must be an integer from 1 to ${2 ** 28}, got ${maxKeys}`);
    const windowMs = options.windowMs ?? Number.POSITIVE_INFINITY;
    if (!(windowMs > 0)) throw new MirrorKitDedupError(`windowMs must be > 0, got ${windowMs}`);
    this.maxKeys = maxKeys;
    this.windowMs = windowMs;
    this.#windowed = windowMs !== Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;
    // At least twice maxKeys, and room for maxKeys + 1 keys plus a free slot (a new key goes in
    // before the oldest comes out).
    let slots = 4;
    while (slots < maxKeys * 2) slots *= 2;
    this.#mask = slots - 1;
    this.#table = new Uint32Array(slots * 2);
    this.#ringFp = new Uint32Array(maxKeys * 2);
    this.#ringAt = new Float64Array(this.#windowed ? maxKeys : 0);
  }

  /** Records `key` as seen and says whether it had been seen (and not yet forgotten) before. */
  check(key: string | Uint8Array): 'first' | 'duplicate' {
    const fp = this.#fingerprint(key);
    return this.#checkFp(fp.hi, fp.lo);
  }

  /** Whether `key` is remembered, without recording it (for "process, then remember"). */
  has(key: string | Uint8Array): boolean {
    const fp = this.#fingerprint(key);
    return this.#hasFp(fp.hi, fp.lo);
  }

  /**
   * Remembers `key` as first seen at `seenAtMs` (default now), e.g. when restoring from a
   * persisted seen-set. Returns false when it was already remembered or is older than the window.
   * Restore in first-seen order: eviction follows the order keys were added.
   */
  add(key: string | Uint8Array, seenAtMs?: number): boolean {
    const fp = this.#fingerprint(key);
    return this.#addFp(fp.hi, fp.lo, seenAtMs);
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
    return this.#table.byteLength + this.#ringFp.byteLength + this.#ringAt.byteLength;
  }

  #fingerprint(key: string | Uint8Array): Fingerprint {
    if (typeof key !== 'string') {
      // Bytes may be reused for another key: never cached.
      this.#fpKey = null;
      return fingerprintBytes(key, this.#fp);
    }
    if (key !== this.#fpKey) {
      fingerprint(key, this.#fp);
      this.#fpKey = key;
    }
    return this.#fp;
  }

  #checkFp(hi: number, lo: number): 'first' | 'duplicate' {
    this.#checks++;
    // Without a window, times are never read: skip the clock (a Date.now() costs ~50 ns).
    let now = 0;
    if (this.#windowed) {
      now = this.#clock();
      this.#expire(now);
    }
    if (this.#size === this.maxKeys) this.#touchOldest();
    const slot = this.#probe(hi, lo);
    if (!this.#isFree(slot)) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#insert(slot, hi, lo, now);
    return 'first';
  }

  #hasFp(hi: number, lo: number): boolean {
    if (this.#windowed) this.#expire(this.#clock());
    // "Has, then add" is dedup()'s pattern: the add will evict the oldest key, so fetch its line
    // now, while this probe waits for its own.
    if (this.#size === this.maxKeys) this.#touchOldest();
    const slot = this.#probe(hi, lo);
    if (!this.#isFree(slot)) return true;
    this.#hintHi = hi;
    this.#hintLo = lo;
    this.#hintSlot = slot;
    return false;
  }

  #addFp(hi: number, lo: number, seenAtMs: number | undefined): boolean {
    let at = 0;
    if (this.#windowed) {
      const now = this.#clock();
      this.#expire(now);
      at = Math.min(seenAtMs ?? now, now);
      if (now - at >= this.windowMs) return false;
    }
    const hinted = this.#hintSlot >= 0 && this.#hintHi === hi && this.#hintLo === lo;
    if (!hinted && this.#size === this.maxKeys) this.#touchOldest();
    const slot = hinted ? this.#hintSlot : this.#probe(hi, lo);
    if (!this.#isFree(slot)) return false;
    this.#insert(slot, hi, lo, at);
    return true;
  }

  #clock(): number {
    const now = this.#now();
    if (now > this.#lastNow) this.#lastNow = now;
    return this.#lastNow;
  }

  #expire(now: number): void {
    while (this.#size > 0 && now - (this.#ringAt[this.#head] as number) >= this.windowMs) {
      this.#expired++;
      this.#remove(this.#popOldest());
    }
  }

  /**
   * Loads the table line of the oldest key, which a new key is about to evict, so that its cache
   * miss overlaps the probe for the new key instead of following it.
   */
  #touchOldest(): void {
    const h = this.#head * 2;
    this.#sink ^= this.#table[
      this.#home(this.#ringFp[h] as number, this.#ringFp[h + 1] as number) * 2
    ] as number;
  }

  // Each load's result feeds only a running xor, so the CPU keeps many of them in flight at once:
  // one loop per kind of load, with nothing else in the loop body to fill its reorder window.
  #prefetch(fps: Uint32Array, from: number, to: number): void {
    const table = this.#table;
    const count = to - from;
    let sink = 0;
    for (let i = from; i < to; i++) {
      const hi = fps[i * 2] as number;
      const lo = fps[i * 2 + 1] as number;
      if (hi !== 0 || lo !== 0) sink ^= table[this.#home(hi, lo) * 2] as number;
    }
    // The oldest keys go first, when the table is full or when they leave the window.
    const victims = this.#windowed
      ? Math.min(count, this.#size)
      : Math.max(0, Math.min(count, this.#size + count - this.maxKeys));
    const ring = this.#ringFp;
    let r = this.#head;
    for (let j = 0; j < victims; j++) {
      sink ^= table[this.#home(ring[r * 2] as number, ring[r * 2 + 1] as number) * 2] as number;
      r = r + 1 === this.maxKeys ? 0 : r + 1;
    }
    this.#sink ^= sink;
  }

  /** Takes the oldest key off the ring; returns its ring index (its fingerprint stays readable). */
  #popOldest(): number {
    const head = this.#head;
    this.#head = head + 1 === this.maxKeys ? 0 : head + 1;
    this.#size--;
    return head;
  }

  #isFree(slot: number): boolean {
    const i = slot * 2;
    return this.#table[i] === 0 && this.#table[i + 1] === 0;
  }

  /**
   * Puts `hi:lo` into `slot` (free, and where a probe for it ended). At `maxKeys` the oldest key is
   * forgotten: it leaves the ring first (the new key takes its ring position) and the table after
   * the new key went in, so the deletion's backward shift accounts for the new key.
   */
  #insert(slot: number, hi: number, lo: number, at: number): void {
    this.#hintSlot = -1;
    let evicted = -1;
    let evictedHi = 0;
    let evictedLo = 0;
    if (this.#size === this.maxKeys) {
      this.#evictedInsideWindow++;
      evicted = this.#popOldest();
      evictedHi = this.#ringFp[evicted * 2] as number;
      evictedLo = this.#ringFp[evicted * 2 + 1] as number;
    }
    const i = slot * 2;
    this.#table[i] = hi;
    this.#table[i + 1] = lo;
    let pos = this.#head + this.#size;
    if (pos >= this.maxKeys) pos -= this.maxKeys;
    this.#ringFp[pos * 2] = hi;
    this.#ringFp[pos * 2 + 1] = lo;
    if (this.#windowed) this.#ringAt[pos] = at;
    this.#size++;
    if (evicted >= 0) this.#removeAt(this.#probe(evictedHi, evictedLo));
  }

  /** Deletes the key at ring index `ring` (already popped) from the table. */
  #remove(ring: number): void {
    this.#removeAt(this.#probe(this.#ringFp[ring * 2] as number, this.#ringFp[ring * 2 + 1] as number));
  }

  #home(hi: number, lo: number): number {
    return (lo ^ Math.imul(hi, 0x9e3779b1)) & this.#mask;
  }

  /** The slot holding `hi:lo`, or the free slot where it would go. */
  #probe(hi: number, lo: number): number {
    const table = this.#table;
    let slot = this.#home(hi, lo);
    for (;;) {
      const i = slot * 2;
      const h = table[i] as number;
      const l = table[i + 1] as number;
      if ((h === hi && l === lo) || (h === 0 && l === 0)) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  // Deletion with backward shift, so lookups never need tombstones.
  #removeAt(slot: number): void {
    this.#hintSlot = -1;
    const table = this.#table;
    let hole = slot;
    let next = (hole + 1) & this.#mask;
    for (;;) {
      const n = next * 2;
      const h = table[n] as number;
      const l = table[n + 1] as number;
      if (h === 0 && l === 0) break;
      const home = this.#home(h, l);
      // Move the entry at `next` into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!stays) {
        const o = hole * 2;
        table[o] = h;
        table[o + 1] = l;
        hole = next;
      }
      next = (next + 1) & this.#mask;
    }
    const o = hole * 2;
    table[o] = 0;
    table[o + 1] = 0;
  }
}
