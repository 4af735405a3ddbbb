import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deduplicator, MirrorKitDedupError } from './deduplicator.js';

/** The obvious model: a Map in first-seen order, evicted by age and then by count. */
class ModelDedup {
  readonly seen = new Map<string, number>();
  constructor(
    readonly maxKeys: number,
    readonly windowMs: number,
  ) {}
  check(key: string, now: number): 'first' | 'duplicate' {
    this.expire(now);
    if (this.seen.has(key)) return 'duplicate';
    this.insert(key, now);
    return 'first';
  }
  has(key: string, now: number): boolean {
    this.expire(now);
    return this.seen.has(key);
  }
  add(key: string, now: number, seenAtMs: number): boolean {
    this.expire(now);
    const at = Math.min(seenAtMs, now);
    if (now - at >= this.windowMs || this.seen.has(key)) return false;
    this.insert(key, at);
    return true;
  }
  private expire(now: number): void {
    for (const [k, at] of this.seen) {
      if (now - at >= this.windowMs) this.seen.delete(k);
      else break;
    }
  }
  private insert(key: string, at: number): void {
    if (this.seen.size === this.maxKeys) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, at);
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

  it('forgets the oldest key past maxKeys and counts forgetting inside the window', () => {
    const d = new Deduplicator({ maxKeys: 3, windowMs: 60_000 });
    for (const key of ['a', 'b', 'c', 'd']) d.check(key);
    expect(d.has('a')).toBe(false);
    expect(d.has('b')).toBe(true);
    expect(d.stats()).toMatchObject({ size: 3, evictedInsideWindow: 1 });
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

  it('reserves 24 bytes per key, 32 with a window (a power-of-two maxKeys)', () => {
    expect(new Deduplicator({ maxKeys: 1 << 20 }).reservedBytes / (1 << 20)).toBe(24);
    expect(new Deduplicator({ maxKeys: 1 << 20, windowMs: 1000 }).reservedBytes / (1 << 20)).toBe(32);
    // Just above a power of two the table doubles: the stated worst case.
    const worst = new Deduplicator({ maxKeys: (1 << 20) + 1, windowMs: 1000 });
    expect(worst.reservedBytes / ((1 << 20) + 1)).toBeLessThanOrEqual(48);
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

  it('works with a single key (the smallest table)', () => {
    const d = new Deduplicator({ maxKeys: 1 });
    for (let i = 0; i < 50; i++) {
      expect(d.check(`k:${i}`)).toBe('first');
      expect(d.check(`k:${i}`)).toBe('duplicate');
      expect(d.has(`k:${i - 1}`)).toBe(false);
    }
    expect(d.stats()).toMatchObject({ size: 1, evictedInsideWindow: 49 });
  });

  it('answers exactly like the model under any sequence of keys and clock steps (small tables stress deletion)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constant(Number.POSITIVE_INFINITY)),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -5, max: 20 })), {
          maxLength: 400,
        }),
        (maxKeys, windowMs, steps) => {
          let now = 1_000;
          let monotonic = Number.NEGATIVE_INFINITY;
          const d = new Deduplicator({
            maxKeys,
            ...(windowMs === Number.POSITIVE_INFINITY ? {} : { windowMs }),
            now: () => now,
          });
          const model = new ModelDedup(maxKeys, windowMs);
          for (const [key, step] of steps) {
            now += step;
            monotonic = Math.max(monotonic, now);
            const name = `region-${key % 3}:id-${key}${key % 4 === 0 ? '-é' : ''}`;
            // The same key as text or as bytes, whichever comes.
            const asked = step % 2 === 0 ? name : Buffer.from(name);
            expect(d.check(asked)).toBe(model.check(name, monotonic));
            expect(d.stats().size).toBe(model.seen.size);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers has/add/check exactly like the model, restores with past times included', () => {
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
          { maxLength: 300 },
        ),
        (maxKeys, windowMs, steps) => {
          let now = 1_000;
          let monotonic = Number.NEGATIVE_INFINITY;
          const d = new Deduplicator({
            maxKeys,
            ...(windowMs === Number.POSITIVE_INFINITY ? {} : { windowMs }),
            now: () => now,
          });
          const model = new ModelDedup(maxKeys, windowMs);
          for (const [op, key, step, age] of steps) {
            now += step;
            monotonic = Math.max(monotonic, now);
            const name = `r${key % 2}:${key}`;
            const asked = key % 3 === 0 ? Buffer.from(name) : name;
            if (op === 'check') expect(d.check(asked)).toBe(model.check(name, monotonic));
            else if (op === 'has') expect(d.has(asked)).toBe(model.has(name, monotonic));
            else expect(d.add(asked, monotonic - age)).toBe(model.add(name, monotonic, monotonic - age));
            expect(d.stats().size).toBe(model.seen.size);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

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
