import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MirrorKitDedupError } from '../errors.js';
import { Deduplicator, fingerprintAccess } from './deduplicator.js';
import { fingerprint } from './key-fingerprint.js';

/**
 * The guarantee as a model: a Map in first-seen order, forgetting a key exactly when it leaves
 * the window or `maxKeys` newer keys were first seen. The Deduplicator must remember at least this.
 */
class GuaranteeModel {
  readonly seen = new Map<string, number>();
  constructor(
    readonly maxKeys: number,
    readonly windowMs: number,
  ) {}
  remembers(key: string, now: number): boolean {
    this.expire(now);
    return this.seen.has(key);
  }
  record(key: string, at: number, now: number): void {
    this.expire(now);
    if (now - at >= this.windowMs || this.seen.has(key)) return;
    if (this.seen.size === this.maxKeys) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, at);
  }
  private expire(now: number): void {
    for (const [k, at] of this.seen) {
      if (now - at >= this.windowMs) this.seen.delete(k);
      else break;
    }
  }
}

/** The Deduplicator's exact rules with Maps: two generations, forgotten whole. */
class GenerationModel {
  current = new Map<string, number>();
  previous = new Map<string, number>();
  firstAtCurrent = Number.POSITIVE_INFINITY;
  lastAtCurrent = Number.NEGATIVE_INFINITY;
  lastAtPrevious = Number.NEGATIVE_INFINITY;
  expired = 0;
  evictedInsideWindow = 0;
  constructor(
    readonly maxKeys: number,
    readonly windowMs: number,
  ) {}
  get size(): number {
    return this.current.size + this.previous.size;
  }
  check(key: string, now: number): 'first' | 'duplicate' {
    if (this.has(key, now)) return 'duplicate';
    this.add(key, now, now);
    return 'first';
  }
  has(key: string, now: number): boolean {
    this.expire(now);
    return this.current.has(key) || this.previous.has(key);
  }
  add(key: string, now: number, seenAtMs: number): boolean {
    this.expire(now);
    const windowed = this.windowMs !== Number.POSITIVE_INFINITY;
    const at = windowed ? Math.min(seenAtMs, now) : 0;
    if (now - at >= this.windowMs) return false;
    if (this.current.has(key) || this.previous.has(key)) return false;
    if (this.current.size === this.maxKeys) this.rotate(now);
    this.current.set(key, at);
    if (windowed) {
      this.firstAtCurrent = Math.min(this.firstAtCurrent, at);
      this.lastAtCurrent = Math.max(this.lastAtCurrent, at);
    }
    return true;
  }
  private expire(now: number): void {
    if (this.windowMs === Number.POSITIVE_INFINITY) return;
    if (this.previous.size > 0 && now - this.lastAtPrevious >= this.windowMs) this.drop(now);
    if (this.current.size > 0 && now - this.firstAtCurrent >= this.windowMs) {
      this.rotate(now);
      if (now - this.lastAtPrevious >= this.windowMs) this.drop(now);
    }
  }
  private rotate(now: number): void {
    if (this.previous.size > 0) this.drop(now);
    this.previous = this.current;
    this.lastAtPrevious = this.lastAtCurrent;
    this.current = new Map();
    this.firstAtCurrent = Number.POSITIVE_INFINITY;
    this.lastAtCurrent = Number.NEGATIVE_INFINITY;
  }
  private drop(now: number): void {
    for (const at of this.previous.values()) {
      if (now - at < this.windowMs) this.evictedInsideWindow++;
      else this.expired++;
    }
    this.previous.clear();
    this.lastAtPrevious = Number.NEGATIVE_INFINITY;
  }
}

describe('Deduplicator', () => {
  it('reports first-seen then duplicate', () => {
    const d = new Deduplicator({ maxKeys: 10 });
    expect(d.check('us-east:order-1')).toBe('first');
    expect(d.check('us-east:order-1')).toBe('duplicate');
    expect(d.check('us-west:order-1')).toBe('first');
    expect(d.stats()).toMatchObject({ size: 2, checks: 3, duplicates: 1 });
  });

  it('forgets keys older than the window, and counts it', () => {
    let now = 1000;
    const d = new Deduplicator({ maxKeys: 10, windowMs: 100, now: () => now });
    d.check('a');
    now = 1099;
    expect(d.check('a')).toBe('duplicate');
    now = 1100;
    expect(d.check('a')).toBe('first');
    expect(d.stats().expired).toBe(1);
  });

  it('forgets a generation once maxKeys newer keys were seen, and counts forgetting inside the window', () => {
    const d = new Deduplicator({ maxKeys: 3, windowMs: 60_000 });
    for (const key of ['a', 'b', 'c', 'd']) d.check(key);
    // a, b, c are the previous generation: still remembered, fewer than 3 keys came after c.
    expect(d.has('a')).toBe(true);
    for (const key of ['e', 'f', 'g']) d.check(key);
    // 3 keys (d, e, f) came after c: a, b and c go together, inside their window.
    expect(['a', 'b', 'c'].map((k) => d.has(k))).toEqual([false, false, false]);
    expect(['d', 'e', 'f', 'g'].map((k) => d.has(k))).toEqual([true, true, true, true]);
    expect(d.stats()).toMatchObject({ size: 4, evictedInsideWindow: 3, expired: 0 });
  });

  it('forgets a generation whose keys all left the window, also while it is the current one', () => {
    let now = 0;
    const d = new Deduplicator({ maxKeys: 100, windowMs: 100, now: () => now });
    d.check('a');
    now = 50;
    d.check('b');
    now = 100;
    // a left the window: the generation {a, b} becomes the previous one, b is still remembered.
    expect(d.check('c')).toBe('first');
    expect(d.has('b')).toBe(true);
    now = 150;
    // b left too: {a, b} is forgotten whole.
    expect(d.has('b')).toBe(false);
    expect(d.has('c')).toBe(true);
    expect(d.stats()).toMatchObject({ size: 1, expired: 2, evictedInsideWindow: 0 });
  });

  it('puts a key where lookups find it when its window rotated the tables between has() and add()', () => {
    // Four slots a table: many keys share a home slot with 'us-east:a', so has() finds their free
    // slot further on; the rotation at t=100 empties the current table, and that slot is no longer
    // where a lookup starting from the key's home would look.
    for (let i = 0; i < 64; i++) {
      let now = 0;
      const d = new Deduplicator({ maxKeys: 2, windowMs: 100, now: () => now });
      d.add('us-east:a');
      now = 50;
      const key = `us-east:k-${i}`;
      expect(d.has(key)).toBe(false);
      now = 100;
      expect(d.add(key)).toBe(true);
      expect(d.has(key)).toBe(true);
      expect(d.check(key)).toBe('duplicate');
    }
  });

  it('treats a clock that steps back as standing still', () => {
    let now = 10_000;
    const d = new Deduplicator({ maxKeys: 10, windowMs: 100, now: () => now });
    d.check('a');
    now = 5_000;
    expect(d.check('a')).toBe('duplicate');
    now = 10_100;
    expect(d.check('a')).toBe('first');
  });

  it('restores keys with their first-seen time and ignores ones outside the window', () => {
    const now = 50_000;
    const d = new Deduplicator({ maxKeys: 10, windowMs: 1000, now: () => now });
    expect(d.add('old', now - 1000)).toBe(false);
    expect(d.add('recent', now - 999)).toBe(true);
    expect(d.add('recent', now)).toBe(false);
    expect(d.check('recent')).toBe('duplicate');
  });

  it('refuses unusable options with a typed error', () => {
    for (const options of [
      { maxKeys: 0 },
      { maxKeys: 1.5 },
      { maxKeys: 2 ** 29 },
      { windowMs: 0 },
      { windowMs: -1 },
    ])
      expect(() => new Deduplicator(options)).toThrow(MirrorKitDedupError);
  });

  it('reserves 32 bytes per key, 48 with a window (a power-of-two maxKeys)', () => {
    expect(new Deduplicator({ maxKeys: 1 << 20 }).reservedBytes / (1 << 20)).toBe(32);
    expect(new Deduplicator({ maxKeys: 1 << 20, windowMs: 1000 }).reservedBytes / (1 << 20)).toBe(48);
    // Just above a power of two the tables double: the stated worst case.
    const worst = new Deduplicator({ maxKeys: (1 << 20) + 1, windowMs: 1000 });
    expect(worst.reservedBytes / ((1 << 20) + 1)).toBeLessThanOrEqual(80);
  });

  it('takes a key as text or as its UTF-8 bytes: the same key either way', () => {
    const d = new Deduplicator({ maxKeys: 10 });
    expect(d.check(Buffer.from('us-east:order-1'))).toBe('first');
    expect(d.check('us-east:order-1')).toBe('duplicate');
    // Restored as text (as KafkaSeenKeyStore does), then met as a record key's bytes.
    expect(d.add('us-west:é-2')).toBe(true);
    expect(d.has(Buffer.from('us-west:é-2'))).toBe(true);
    expect(d.check(new TextEncoder().encode('us-west:é-2'))).toBe('duplicate');
    // Bytes that are not UTF-8 stand for their decoding (U+FFFD), as message.key.toString() gives it.
    expect(d.check(Buffer.from([0x75, 0x3a, 0xff]))).toBe('first');
    expect(d.check('u:\ufffd')).toBe('duplicate');
    expect(d.check(Buffer.from([0x75, 0x3a, 0xfe]))).toBe('duplicate');
  });

  it('does not cache the fingerprint of a reused byte buffer', () => {
    const d = new Deduplicator({ maxKeys: 10 });
    const scratch = Buffer.from('us-east:1');
    expect(d.check(scratch)).toBe('first');
    scratch.write('us-east:2');
    expect(d.has(scratch)).toBe(false);
    expect(d.check(scratch)).toBe('first');
    expect(d.stats().size).toBe(2);
  });

  it('works with a single key (the smallest tables)', () => {
    const d = new Deduplicator({ maxKeys: 1 });
    for (let i = 0; i < 50; i++) {
      expect(d.check(`k:${i}`)).toBe('first');
      expect(d.check(`k:${i}`)).toBe('duplicate');
      expect(d.has(`k:${i - 1}`)).toBe(i > 0);
      expect(d.has(`k:${i - 2}`)).toBe(false);
    }
    expect(d.stats()).toMatchObject({ size: 2, evictedInsideWindow: 48 });
  });

  it('answers exactly like its rules, and never forgets what the guarantee keeps, under any keys and clock steps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constant(Number.POSITIVE_INFINITY)),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -5, max: 20 })), {
          maxLength: 400,
          size: 'max',
        }),
        (maxKeys, windowMs, steps) => {
          let now = 1_000;
          let monotonic = Number.NEGATIVE_INFINITY;
          const d = new Deduplicator({
            maxKeys,
            ...(windowMs === Number.POSITIVE_INFINITY ? {} : { windowMs }),
            now: () => now,
          });
          const model = new GenerationModel(maxKeys, windowMs);
          const guarantee = new GuaranteeModel(maxKeys, windowMs);
          const everSeen = new Set<string>();
          for (const [key, step] of steps) {
            now += step;
            monotonic = Math.max(monotonic, now);
            const name = `region-${key % 3}:id-${key}${key % 4 === 0 ? '-é' : ''}`;
            // The same key as text or as bytes, whichever comes.
            const asked = step % 2 === 0 ? name : Buffer.from(name);
            const mustRemember = guarantee.remembers(name, monotonic);
            const answer = d.check(asked);
            expect(answer).toBe(model.check(name, monotonic));
            if (mustRemember) expect(answer).toBe('duplicate');
            if (answer === 'duplicate') expect(everSeen.has(name)).toBe(true);
            everSeen.add(name);
            // The guarantee runs from a key's first sighting (the last 'first' answer): later
            // duplicates do not extend it, and only keys answered 'first' count as newer keys.
            if (answer === 'first') guarantee.record(name, monotonic, monotonic);
            expect(d.stats()).toMatchObject({
              size: model.size,
              expired: model.expired,
              evictedInsideWindow: model.evictedInsideWindow,
            });
            expect(model.size).toBeLessThanOrEqual(2 * maxKeys);
          }
        },
      ),
      { numRuns: 500 },
    );
    // A second or two alone; far more on a loaded 2-core box: the default 5 s is no bound here.
  }, 60_000);

  it('answers has/add/check exactly like its rules, restores with past times included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(Number.POSITIVE_INFINITY)),
        fc.array(
          fc.tuple(
            fc.constantFrom('check', 'has', 'add'),
            fc.integer({ min: 0, max: 25 }),
            fc.integer({ min: -3, max: 15 }),
            fc.integer({ min: 0, max: 60 }),
          ),
          { maxLength: 300, size: 'max' },
        ),
        (maxKeys, windowMs, steps) => {
          let now = 1_000;
          let monotonic = Number.NEGATIVE_INFINITY;
          const d = new Deduplicator({
            maxKeys,
            ...(windowMs === Number.POSITIVE_INFINITY ? {} : { windowMs }),
            now: () => now,
          });
          const model = new GenerationModel(maxKeys, windowMs);
          for (const [op, key, step, age] of steps) {
            now += step;
            monotonic = Math.max(monotonic, now);
            const name = `r${key % 2}:${key}`;
            const asked = key % 3 === 0 ? Buffer.from(name) : name;
            if (op === 'check') expect(d.check(asked)).toBe(model.check(name, monotonic));
            else if (op === 'has') expect(d.has(asked)).toBe(model.has(name, monotonic));
            else expect(d.add(asked, monotonic - age)).toBe(model.add(name, monotonic, monotonic - age));
            expect(d.stats()).toMatchObject({
              size: model.size,
              expired: model.expired,
              evictedInsideWindow: model.evictedInsideWindow,
            });
          }
        },
      ),
      { numRuns: 500 },
    );
    // A second or two alone; far more on a loaded 2-core box: the default 5 s is no bound here.
  }, 60_000);

  it('answers exactly like its rules at the fingerprint level (lookups, adds any number of operations later, prefetches)', () => {
    // What dedup() and dedupBatch() do: look a key up, hand it to the handler, add it afterwards —
    // with any other lookups, adds, prefetches, rotations and expiries in between (other
    // partitions' handlers run meanwhile). The place a lookup found must never be used once
    // something changed since.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1200 }),
        fc.oneof(fc.integer({ min: 50, max: 3000 }), fc.constant(Number.POSITIVE_INFINITY)),
        // Few keys (keys met again soon) to many (generations fill).
        fc.integer({ min: 20, max: 3001 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('has', 'add', 'add', 'prefetch', 'check'),
            fc.integer({ min: 0, max: 3000 }),
            fc.integer({ min: 0, max: 3 }),
          ),
          { minLength: 500, maxLength: 4000, size: 'max' },
        ),
        (maxKeys, windowMs, keySpace, steps) => {
          let now = 1_000;
          const d = new Deduplicator({
            maxKeys,
            ...(windowMs === Number.POSITIVE_INFINITY ? {} : { windowMs }),
            now: () => now,
          });
          const model = new GenerationModel(maxKeys, windowMs);
          const fp = { hi: 0, lo: 0 };
          const nameOf = (key: number) => `us-east:evt-${key}`;
          for (const [op, drawn, step] of steps) {
            const key = drawn % keySpace;
            now += step;
            fingerprint(nameOf(key), fp);
            if (op === 'has') {
              expect(fingerprintAccess.has(d, fp.hi, fp.lo)).toBe(model.has(nameOf(key), now));
            } else if (op === 'add') {
              const wasNew = !model.has(nameOf(key), now);
              model.add(nameOf(key), now, now);
              fingerprintAccess.add(d, fp.hi, fp.lo);
              expect(fingerprintAccess.has(d, fp.hi, fp.lo)).toBe(model.has(nameOf(key), now));
              expect(d.has(nameOf(key))).toBe(model.has(nameOf(key), now));
              if (wasNew) expect(d.stats().size).toBe(model.size);
            } else if (op === 'prefetch') {
              // The next keys from this one, prefetched together as dedupBatch reads ahead, then
              // some of them looked up.
              const keys = Array.from({ length: 1 + (key % 64) }, (_, i) => (key + i * 7) % keySpace);
              const fps = new Uint32Array(keys.length * 2);
              keys.forEach((k, i) => {
                fingerprint(nameOf(k), fp);
                fps[i * 2] = fp.hi;
                fps[i * 2 + 1] = fp.lo;
              });
              fingerprintAccess.prefetch(d, fps, 0, keys.length);
              for (const k of keys.slice(0, 1 + (key % 3))) {
                fingerprint(nameOf(k), fp);
                expect(fingerprintAccess.has(d, fp.hi, fp.lo)).toBe(model.has(nameOf(k), now));
              }
            } else expect(d.check(nameOf(key))).toBe(model.check(nameOf(key), now));
            expect(d.stats()).toMatchObject({
              size: model.size,
              expired: model.expired,
              evictedInsideWindow: model.evictedInsideWindow,
            });
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);

  it('never reports a key inside its window as first-seen while under the count bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uuid(), fc.integer({ min: 0, max: 10 })), { maxLength: 300 }),
        (events) => {
          let now = 0;
          const d = new Deduplicator({ maxKeys: 1000, windowMs: 500, now: () => now });
          const firstSeen = new Map<string, number>();
          for (const [id, step] of events) {
            now += step;
            const key = `us-east:${id}`;
            const answer = d.check(key);
            const at = firstSeen.get(key);
            if (at !== undefined && now - at < 500) expect(answer).toBe('duplicate');
            if (answer === 'first') firstSeen.set(key, now);
          }
        },
      ),
    );
  });
});
