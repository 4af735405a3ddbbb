import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COPIED_RANGES_PER_PARTITION, CopiedOffsets } from './copied-offsets.js';
import { MirrorKitReplicatorError } from './replicator-error.js';

const P = 'orders\u00000';

/** Records `upstream` offsets as one send landing contiguously from `base`. */
function send(map: CopiedOffsets, upstream: readonly number[], base: number, key = P): void {
  for (const [i, u] of upstream.entries()) map.record(key, BigInt(u), BigInt(base + i));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('CopiedOffsets', () => {
  it('keeps one range for a stretch copied without gaps, whatever the chunking, and translates exactly', () => {
    const map = new CopiedOffsets();
    // The remote partition already held 500 records: target = source + 500.
    for (let from = 0; from < 3000; from += 250) send(map, range(from, from + 250), 500 + from);
    expect(map.ranges(P)).toEqual([{ upstream: 0n, downstream: 500n, length: 3000n }]);
    expect(map.translateDownstream(P, 1234n)).toBe(1734n);
    expect(map.translateDownstream(P, 0n)).toBe(500n);
    // At the head: right after the last copy.
    expect(map.translateDownstream(P, 3000n)).toBe(3500n);
    // Past what was copied, or before it: nothing to promise.
    expect(map.translateDownstream(P, 3001n)).toBeNull();
    expect(map.translateDownstream('other\u00000', 5n)).toBeNull();
  });

  it('splits at transaction markers: a group at a marker resumes right after the last record before it', () => {
    const map = new CopiedOffsets();
    // Transactions of 3 records, each followed by its commit marker (offsets 3, 7, 11 upstream).
    send(map, [0, 1, 2, 4, 5, 6, 8, 9, 10], 0);
    expect(map.ranges(P)).toEqual([
      { upstream: 0n, downstream: 0n, length: 3n },
      { upstream: 4n, downstream: 3n, length: 3n },
      { upstream: 8n, downstream: 6n, length: 3n },
    ]);
    expect(map.translateDownstream(P, 5n)).toBe(4n);
    expect(map.translateDownstream(P, 3n)).toBe(3n);
    expect(map.translateDownstream(P, 4n)).toBe(3n);
    expect(map.translateDownstream(P, 11n)).toBe(9n);
  });

  it('answers nothing inside a wider upstream gap (compaction): no copy there is known', () => {
    const map = new CopiedOffsets();
    send(map, [0, 1, 2, 10, 11], 0);
    expect(map.translateDownstream(P, 3n)).toBe(3n);
    for (const inGap of [4n, 5n, 9n]) expect(map.translateDownstream(P, inGap)).toBeNull();
    expect(map.translateDownstream(P, 10n)).toBe(3n);
  });

  it("at a downstream jump, prefers the record's own copy over the end of the range before", () => {
    const map = new CopiedOffsets();
    // Exactly-once: each transaction on the target ends with a marker, so the next send lands one later.
    send(map, [0, 1, 2], 0);
    send(map, [3, 4, 5], 4);
    expect(map.ranges(P)).toHaveLength(2);
    expect(map.translateDownstream(P, 3n)).toBe(4n);
    expect(map.translateDownstream(P, 2n)).toBe(2n);
    expect(map.translateDownstream(P, 6n)).toBe(7n);
  });

  it('keeps the first copy of re-copied records, and starts a new range where the re-copy passes it', () => {
    const map = new CopiedOffsets();
    send(map, range(0, 100), 0);
    // The copy consumer resumed from a commit at 80: records 80.. are copied again from 100 on.
    send(map, range(80, 130), 100);
    expect(map.ranges(P)).toEqual([
      { upstream: 0n, downstream: 0n, length: 100n },
      { upstream: 100n, downstream: 120n, length: 30n },
    ]);
    // Resuming at the second copy of 90 would skip the first copies of 91..99 while the re-copy has
    // not reached them yet; the first copy is safe at any moment.
    expect(map.translateDownstream(P, 90n)).toBe(90n);
    expect(map.translateDownstream(P, 100n)).toBe(120n);
  });

  it('starts afresh, under a new generation, when the remote partition went backwards', () => {
    const map = new CopiedOffsets();
    expect(map.generation(P)).toBe(0);
    send(map, range(0, 50), 0);
    const first = map.generation(P);
    expect(first).toBeGreaterThan(0);
    send(map, range(50, 60), 10);
    expect(map.generation(P)).not.toBe(first);
    expect(map.ranges(P)).toEqual([{ upstream: 50n, downstream: 10n, length: 10n }]);
    expect(map.translateDownstream(P, 20n)).toBeNull();
  });

  it('keeps the newest ranges only, and forgets partitions it no longer owns', () => {
    const map = new CopiedOffsets({ maxRangesPerPartition: 2 });
    send(map, [0, 1, 3, 4, 6, 7], 0);
    send(map, [0, 1], 0, 'orders\u00001');
    expect(map.ranges(P).map((r) => r.upstream)).toEqual([3n, 6n]);
    expect(map.translateDownstream(P, 1n)).toBeNull();
    expect(map.translateDownstream(P, 4n)).toBe(3n);
    map.retain(new Set(['orders\u00001']));
    expect(map.ranges(P)).toEqual([]);
    expect(map.generation(P)).toBe(0);
    expect(map.translateDownstream('orders\u00001', 1n)).toBe(1n);
  });

  it('grows its ring up to the bound and keeps order across wrap-around', () => {
    const map = new CopiedOffsets({ maxRangesPerPartition: 5 });
    // Every other offset: one range per record.
    send(
      map,
      range(0, 40).map((i) => i * 2),
      0,
    );
    expect(map.ranges(P).map((r) => r.upstream)).toEqual([70n, 72n, 74n, 76n, 78n]);
    for (let i = 35; i < 40; i++) expect(map.translateDownstream(P, BigInt(i * 2))).toBe(BigInt(i));
    expect(map.translateDownstream(P, 68n)).toBeNull();
    expect(new CopiedOffsets().ranges(P)).toEqual([]);
    expect(COPIED_RANGES_PER_PARTITION).toBe(1024);
  });

  it('rejects a bound that is not a positive integer and negative offsets', () => {
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => new CopiedOffsets({ maxRangesPerPartition: bad })).toThrowError(
        expect.objectContaining({ code: 'REPLICATOR_BAD_ARGUMENT' }),
      );
    expect(() => new CopiedOffsets().record(P, -1n, 0n)).toThrowError(MirrorKitReplicatorError);
  });
});

/**
 * A replicator's history on one partition: the source log (offsets with gaps), and steps that copy
 * the next records in sends (each landing contiguously, maybe after a jump on the target), rewind
 * the copy position (a re-copy), or recreate the remote partition (emptied, offsets from 0 again).
 */
type Step =
  | { kind: 'copy'; records: number; jump: number; chunk: number }
  | { kind: 'rewind'; back: number }
  | { kind: 'recreate' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('copy' as const),
      records: fc.integer({ min: 1, max: 30 }),
      jump: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      chunk: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('rewind' as const), back: fc.integer({ min: 1, max: 40 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'recreate' as const }) },
);

interface Replayed {
  map: CopiedOffsets;
  /** Upstream offsets of the source log. */
  source: number[];
  /** The remote partition now: entry d holds the upstream offset copied there, or null (a marker). */
  target: (number | null)[];
}

function replay(gaps: readonly number[], steps: readonly Step[], maxRangesPerPartition?: number): Replayed {
  const source: number[] = [];
  let at = 0;
  for (const gap of gaps) {
    source.push(at);
    at += gap;
  }
  const map = new CopiedOffsets(maxRangesPerPartition === undefined ? {} : { maxRangesPerPartition });
  let target: (number | null)[] = [];
  let position = 0;
  // Offsets alone show a recreated remote only once a copy lands below the old end, so the model
  // recreates it right before the next send, which starts at offset 0.
  let recreate = false;
  for (const s of steps) {
    if (s.kind === 'rewind') position = Math.max(0, position - s.back);
    else if (s.kind === 'recreate') recreate = true;
    else {
      const records = source.slice(position, position + s.records);
      position += records.length;
      for (let from = 0; from < records.length; from += s.chunk) {
        if (recreate) {
          target = [];
          recreate = false;
        } else for (let j = 0; j < s.jump; j++) target.push(null);
        const chunk = records.slice(from, from + s.chunk);
        const base = target.length;
        target.push(...chunk);
        send(map, chunk, base);
      }
    }
  }
  return { map, source, target };
}

describe('CopiedOffsets (properties)', () => {
  const gaps = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 4 })), {
    minLength: 1,
    maxLength: 120,
  });

  it('never resumes a group past a record it has not processed: every copied record at or after C has a copy at or after the answer', () => {
    fc.assert(
      fc.property(
        gaps,
        fc.array(step, { maxLength: 25 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (g, steps, bound) => {
          const { map, source, target } = replay(g, steps, bound);
          // The newest copy of each upstream record on the target.
          const lastCopy = new Map<number, number>();
          target.forEach((u, d) => {
            if (u !== null) lastCopy.set(u, d);
          });
          const top = (source[source.length - 1] ?? 0) + 3;
          for (let c = 0; c <= top; c++) {
            const answer = map.translateDownstream(P, BigInt(c));
            if (answer === null) continue;
            expect(answer >= 0n && answer <= BigInt(target.length)).toBe(true);
            for (const [u, d] of lastCopy) if (u >= c) expect(BigInt(d) >= answer).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is exact inside what it keeps: the copy of record C, or one past the copy of C - 1', () => {
    // Without re-copies or a recreated remote, every upstream record has one copy.
    const forward = step.filter((s): s is Extract<Step, { kind: 'copy' }> => s.kind === 'copy');
    fc.assert(
      fc.property(gaps, fc.array(forward, { maxLength: 25 }), (g, steps) => {
        const { map, source, target } = replay(g, steps);
        const copyOf = new Map<number, number>();
        target.forEach((u, d) => {
          if (u !== null) copyOf.set(u, d);
        });
        const top = (source[source.length - 1] ?? 0) + 3;
        for (let c = 0; c <= top; c++) {
          const own = copyOf.get(c);
          const previous = copyOf.get(c - 1);
          const expected = own ?? (previous === undefined ? null : previous + 1);
          expect(map.translateDownstream(P, BigInt(c))).toBe(expected === null ? null : BigInt(expected));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is exact for what it keeps and silent for what it evicted, under any bound', () => {
    const forward = step.filter((s): s is Extract<Step, { kind: 'copy' }> => s.kind === 'copy');
    fc.assert(
      fc.property(
        gaps,
        fc.array(forward, { maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        (g, steps, bound) => {
          const { map, target } = replay(g, steps, bound);
          const kept = map.ranges(P);
          expect(kept.length <= bound).toBe(true);
          const copyOf = new Map<number, number>();
          target.forEach((u, d) => {
            if (u !== null) copyOf.set(u, d);
          });
          for (const [u, d] of copyOf) {
            const answer = map.translateDownstream(P, BigInt(u));
            const inKept = kept.some((r) => BigInt(u) >= r.upstream && BigInt(u) < r.upstream + r.length);
            expect(answer).toBe(inKept ? BigInt(d) : null);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
