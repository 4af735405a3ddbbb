import { MirrorKitDedupError } from '../errors.js';
import { type Fingerprint, fingerprint, fingerprintBytes } from './key-fingerprint.js';

/** Options of {@link Deduplicator}. */
export interface DeduplicatorOptions {
  /**
   * Keys always remembered: a key is not forgotten before this many newer keys were seen (or its
   * window passed). Up to twice as many may be remembered; memory for that is reserved up front.
   * Default 1,000,000 (about 34 MB; 50 MB with a `windowMs`).
   */
  maxKeys?: number;
  /**
   * Keys are remembered at least this long after they were first seen, and forgotten within twice
   * that. Default: no window (count bound only).
   */
  windowMs?: number;
  /** The clock, in ms. Default `Date.now`. A clock that steps back is treated as standing still. */
  now?: () => number;
}

/** Counters of a {@link Deduplicator}. */
export interface DeduplicatorStats {
  /** Keys remembered now (up to twice `maxKeys`). */
  readonly size: number;
  readonly checks: number;
  readonly duplicates: number;
  /** Keys forgotten because they were older than the window. */
  readonly expired: number;
  /**
   * Keys forgotten while still inside the window (without a window: at all), once `maxKeys` newer
   * keys were seen. A duplicate of one of these passes as first-seen: if this grows, raise
   * `maxKeys` or shorten the window.
   */
  readonly evictedInsideWindow: number;
}

/**
 * Fingerprint-level access for {@link dedup} and {@link dedupBatch}, which hash a record key once
 * (from its bytes) and hold the fingerprint across their handler's await. Not exported from the
 * package.
 * @internal
 */
export const fingerprintAccess = {
  /** Whether `hi:lo` is remembered. */
  has: (_d: Deduplicator, _hi: number, _lo: number): boolean => false,
  /**
   * Remembers `hi:lo` (unless it is). Right after a `has` of the same key with nothing added or
   * forgotten since, it goes straight into the place that lookup found.
   */
  add: (_d: Deduplicator, _hi: number, _lo: number): void => undefined,
  /**
   * Reads the table lines that lookups of fingerprints `from` to `to` (exclusive) of `fps` (hi
   * and lo word side by side; (0, 0) for none) will read, all at once, so that their cache misses
   * overlap instead of following one another when those lookups come. Changes nothing.
   */
  prefetch: (_d: Deduplicator, _fps: Uint32Array, _from: number, _to: number): void => undefined,
};

/**
 * Remembers which keys (region-prefixed ids such as `us-east:order-12345`) were seen, in O(1)
 * per operation and bounded memory.
 *
 * Guarantee: a key seen at time t is reported as a duplicate at any later time before
 * t + `windowMs`, as long as fewer than `maxKeys` keys were seen since. Past both bounds it may be
 * forgotten, and a late duplicate then passes as first-seen; forgetting a key inside its window is
 * counted in {@link DeduplicatorStats.evictedInsideWindow}.
 *
 * Keys are kept in two generations: new keys go into the current one; when it holds `maxKeys`
 * keys, or its oldest key leaves the window, it becomes the previous generation and the previous
 * one is forgotten whole (so a key is remembered for between `maxKeys` and 2·`maxKeys` newer keys,
 * and between `windowMs` and about 2·`windowMs`). Forgetting costs nothing per key — no oldest key
 * to look up and delete on every insert, the bulk of what a FIFO pays — and clearing a generation
 * is one sequential write of its table (a few milliseconds at 1M keys, once per 1M keys).
 *
 * A key is a string or its UTF-8 bytes (a record key as kafkajs hands it over): `check(bytes)` and
 * `check(bytes.toString())` are the same key, so keys persisted as text and restored with
 * {@link add} match keys later checked as bytes. Bytes that are not valid UTF-8 stand for their
 * decoding, as `Buffer#toString` gives it.
 *
 * Keys are kept as 64-bit fingerprints, not strings, whatever the key length: per generation a
 * table of 8-byte slots at most half full (16–32 bytes per key of `maxKeys`, as its size rounds up
 * to a power of two) and, with a window, 8 bytes per key for when it was first seen. That is 33.6
 * bytes per key of `maxKeys` at 1M, 50.3 with a window; 64 and 80 at worst. Two different keys
 * share a fingerprint with probability about 2^-64 per pair, so with two million keys remembered a
 * new key is mistaken for a duplicate with probability about 10^-13.
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
  // Two generations, current (C) and previous (P), swapped when C is full or too old. Each is an
  // open-addressing table (linear probing, at most half full): the fingerprint's high and low word
  // side by side, 8 bytes a slot, eight slots to a cache line; (0, 0) marks a free slot. With a
  // window, each also has the first-seen times of its keys in insertion order.
  readonly #mask: number;
  #tableC: Uint32Array;
  #tableP: Uint32Array;
  #timesC: Float64Array;
  #timesP: Float64Array;
  #countC = 0;
  #countP = 0;
  // Earliest and latest first-seen time in each generation (with a window).
  #firstAtC = Number.POSITIVE_INFINITY;
  #lastAtC = Number.NEGATIVE_INFINITY;
  #lastAtP = Number.NEGATIVE_INFINITY;
  #lastNow = Number.NEGATIVE_INFINITY;
  #checks = 0;
  #duplicates = 0;
  #expired = 0;
  #evictedInsideWindow = 0;
  // The last key a lookup found absent and the free slot of the current table where it goes, until
  // that table next changes (an insert, a rotation; -1 then): an add of that key meanwhile (check();
  // has() then add(); dedup() around its handler) writes there without probing again, while the
  // line is likely still in the caches. (Forgetting the previous generation leaves that slot right.)
  #absentHi = 0;
  #absentLo = 0;
  #absentSlot = -1;
  // Written by the prefetching loads so that they are not optimised away.
  #sink = 0;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  // has(key) then add(key) for the same key string is a common pattern: hash once.
  #fpKey: string | null = null;

  static {
    fingerprintAccess.has = (d, hi, lo) => {
      d.#tick();
      return d.#remembered(hi, lo);
    };
    fingerprintAccess.add = (d, hi, lo) => void d.#addFp(hi, lo, undefined);
    fingerprintAccess.prefetch = (d, fps, from, to) => d.#prefetch(fps, from, to);
  }

  constructor(options: DeduplicatorOptions = {}) {
    const maxKeys = options.maxKeys ?? 1_000_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 2 ** 27)
      throw new MirrorKitDedupError(`maxKeys must be an integer from 1 to ${2 ** 27}, got ${maxKeys}`);
    const windowMs = options.windowMs ?? Number.POSITIVE_INFINITY;
    if (!(windowMs > 0)) throw new MirrorKitDedupError(`windowMs must be > 0, got ${windowMs}`);
    this.maxKeys = maxKeys;
    this.windowMs = windowMs;
    this.#windowed = windowMs !== Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;
    // At least twice maxKeys slots per generation, and a free slot always (so probes end).
    let slots = 4;
    while (slots < maxKeys * 2) slots *= 2;
    this.#mask = slots - 1;
    this.#tableC = new Uint32Array(slots * 2);
    this.#tableP = new Uint32Array(slots * 2);
    this.#timesC = new Float64Array(this.#windowed ? maxKeys : 0);
    this.#timesP = new Float64Array(this.#windowed ? maxKeys : 0);
  }

  /** Records `key` as seen and says whether it had been seen (and not yet forgotten) before. */
  check(key: string | Uint8Array): 'first' | 'duplicate' {
    const fp = this.#fingerprint(key);
    this.#checks++;
    const now = this.#tick();
    if (this.#remembered(fp.hi, fp.lo)) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#insert(fp.hi, fp.lo, now, now);
    return 'first';
  }

  /** Whether `key` is remembered, without recording it (for "process, then remember"). */
  has(key: string | Uint8Array): boolean {
    const fp = this.#fingerprint(key);
    this.#tick();
    return this.#remembered(fp.hi, fp.lo);
  }

  /**
   * Remembers `key` as first seen at `seenAtMs` (default now), e.g. when restoring from a
   * persisted seen-set. Returns false when it was already remembered or is older than the window.
   * Restore in first-seen order: generations are forgotten in the order keys were added.
   */
  add(key: string | Uint8Array, seenAtMs?: number): boolean {
    const fp = this.#fingerprint(key);
    return this.#addFp(fp.hi, fp.lo, seenAtMs);
  }

  /** Counters since construction. */
  stats(): DeduplicatorStats {
    return {
      size: this.#countC + this.#countP,
      checks: this.#checks,
      duplicates: this.#duplicates,
      expired: this.#expired,
      evictedInsideWindow: this.#evictedInsideWindow,
    };
  }

  /** Bytes reserved by the typed arrays: the whole cost of remembering keys. */
  get reservedBytes(): number {
    return (
      this.#tableC.byteLength + this.#tableP.byteLength + this.#timesC.byteLength + this.#timesP.byteLength
    );
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

  #addFp(hi: number, lo: number, seenAtMs: number | undefined): boolean {
    const now = this.#tick();
    let at = 0;
    if (this.#windowed) {
      at = Math.min(seenAtMs ?? now, now);
      if (now - at >= this.windowMs) return false;
    }
    if (!this.#lookedUp(hi, lo) && this.#remembered(hi, lo)) return false;
    this.#insert(hi, lo, at, now);
    return true;
  }

  /**
   * The time for a window's bookkeeping, after forgetting what left the window; 0 without a window
   * (the clock is then never read: a `Date.now()` costs ~50 ns).
   */
  #tick(): number {
    if (!this.#windowed) return 0;
    const now = this.#clock();
    this.#expire(now);
    return now;
  }

  /** Whether either generation holds `hi:lo`; when neither does, notes where it would go. */
  #remembered(hi: number, lo: number): boolean {
    const at = this.#home(hi, lo);
    // Both generations may be probed: load the previous one's line first, so that its cache miss
    // overlaps the current one's instead of following it.
    if (this.#countP > 0) this.#sink ^= this.#tableP[at * 2] as number;
    const slot = probeFrom(this.#tableC, this.#mask, hi, lo, at);
    if (!isFree(this.#tableC, slot)) return true;
    if (this.#countP > 0 && !isFree(this.#tableP, probeFrom(this.#tableP, this.#mask, hi, lo, at)))
      return true;
    this.#absentHi = hi;
    this.#absentLo = lo;
    this.#absentSlot = slot;
    return false;
  }

  /** Whether the last lookup found `hi:lo` absent, with nothing changed since. */
  #lookedUp(hi: number, lo: number): boolean {
    return this.#absentSlot >= 0 && this.#absentHi === hi && this.#absentLo === lo;
  }

  /** Adds `hi:lo` (remembered in neither generation), first seen at `at`, to the current generation. */
  #insert(hi: number, lo: number, at: number, now: number): void {
    let slot = this.#lookedUp(hi, lo) ? this.#absentSlot : -1;
    if (this.#countC === this.maxKeys) {
      this.#rotate(now);
      slot = -1;
    }
    if (slot < 0) slot = probe(this.#tableC, this.#mask, hi, lo);
    this.#tableC[slot * 2] = hi;
    this.#tableC[slot * 2 + 1] = lo;
    this.#absentSlot = -1;
    if (this.#windowed) {
      this.#timesC[this.#countC] = at;
      if (at < this.#firstAtC) this.#firstAtC = at;
      if (at > this.#lastAtC) this.#lastAtC = at;
    }
    this.#countC++;
  }

  #prefetch(fps: Uint32Array, from: number, to: number): void {
    const current = this.#tableC;
    const previous = this.#countP > 0 ? this.#tableP : null;
    // Each load's result feeds only a running xor, so the CPU keeps many of them in flight at
    // once: a loop with little else in its body to fill the reorder window.
    let sink = 0;
    for (let i = from; i < to; i++) {
      const hi = fps[i * 2] as number;
      const lo = fps[i * 2 + 1] as number;
      if (hi === 0 && lo === 0) continue;
      const at = this.#home(hi, lo) * 2;
      sink ^= current[at] as number;
      if (previous !== null) sink ^= previous[at] as number;
    }
    this.#sink ^= sink;
  }

  #clock(): number {
    const now = this.#now();
    if (now > this.#lastNow) this.#lastNow = now;
    return this.#lastNow;
  }

  /** Forgets the previous generation once all its keys left the window; rotates a current one whose oldest key did. */
  #expire(now: number): void {
    if (this.#countP > 0 && now - this.#lastAtP >= this.windowMs) this.#dropPrevious(now);
    if (this.#countC > 0 && now - this.#firstAtC >= this.windowMs) {
      this.#rotate(now);
      if (now - this.#lastAtP >= this.windowMs) this.#dropPrevious(now);
    }
  }

  /** The current generation becomes the previous one; the previous one is forgotten. */
  #rotate(now: number): void {
    if (this.#countP > 0) this.#dropPrevious(now);
    const table = this.#tableP;
    this.#tableP = this.#tableC;
    this.#tableC = table;
    const times = this.#timesP;
    this.#timesP = this.#timesC;
    this.#timesC = times;
    this.#countP = this.#countC;
    this.#lastAtP = this.#lastAtC;
    this.#countC = 0;
    this.#firstAtC = Number.POSITIVE_INFINITY;
    this.#lastAtC = Number.NEGATIVE_INFINITY;
    this.#absentSlot = -1;
  }

  /** Forgets every key of the previous generation, counting those still inside the window. */
  #dropPrevious(now: number): void {
    let inside = this.#countP;
    if (this.#windowed) {
      inside = 0;
      // Usually none (a generation is dropped by time once its newest key left the window, or by
      // count long after its oldest did); counted exactly for keys restored out of order.
      if (now - this.#lastAtP < this.windowMs) {
        const times = this.#timesP;
        for (let i = 0; i < this.#countP; i++) if (now - (times[i] as number) < this.windowMs) inside++;
      }
    }
    this.#evictedInsideWindow += inside;
    this.#expired += this.#countP - inside;
    this.#tableP.fill(0);
    this.#countP = 0;
    this.#lastAtP = Number.NEGATIVE_INFINITY;
  }

  #home(hi: number, lo: number): number {
    return home(hi, lo, this.#mask);
  }
}

function home(hi: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
}

/**
 * The slot of `table` (open addressing, linear probing; `mask + 1` slots of two words) holding
 * `hi:lo`, or the free slot where it would go.
 */
function probe(table: Uint32Array, mask: number, hi: number, lo: number): number {
  return probeFrom(table, mask, hi, lo, home(hi, lo, mask));
}

/** {@link probe} from `from`, the key's home (already computed). */
function probeFrom(table: Uint32Array, mask: number, hi: number, lo: number, from: number): number {
  let slot = from;
  for (;;) {
    const i = slot * 2;
    const h = table[i] as number;
    const l = table[i + 1] as number;
    if ((h === hi && l === lo) || (h === 0 && l === 0)) return slot;
    slot = (slot + 1) & mask;
  }
}

function isFree(table: Uint32Array, slot: number): boolean {
  const i = slot * 2;
  return table[i] === 0 && table[i + 1] === 0;
}
