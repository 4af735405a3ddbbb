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
    for (const [k, at] of this.seen) {
      if (now - at >= this.windowMs) this.seen.delete(k);
      else break;
    }
    if (this.seen.has(key)) return 'duplicate';
    if (this.seen.size === this.maxKeys) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, now);
    return 'first';
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

  it('reserves about 36 bytes per key', () => {
    const d = new Deduplicator({ maxKeys: 1 << 20 });
    expect(d.reservedBytes / (1 << 20)).toBe(36);
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
            const name = `region-${key % 3}:id-${key}`;
            expect(d.check(name)).toBe(model.check(name, monotonic));
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
