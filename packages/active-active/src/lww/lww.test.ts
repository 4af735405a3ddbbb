import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HlcStamp } from './hybrid-logical-clock.js';
import { compareEntries, type LwwEntry, LwwMap, LwwRegister, mergeEntries } from './lww.js';

const stamp = (wallMs: number, counter = 0, region = 'us-east'): HlcStamp => ({ wallMs, counter, region });

// Small domains so that ties on wall time, counter, region and id actually happen.
const entryArb: fc.Arbitrary<LwwEntry<number>> = fc
  .record({
    wallMs: fc.integer({ min: 0, max: 3 }),
    counter: fc.integer({ min: 0, max: 2 }),
    region: fc.constantFrom('us-east', 'us-west'),
    id: fc.constantFrom('a', 'b'),
    deleted: fc.boolean(),
    value: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ wallMs, counter, region, id, deleted, value }) => ({
    stamp: { wallMs, counter, region },
    id,
    deleted,
    value: deleted ? undefined : value,
  }));

const same = (a: LwwEntry<number> | undefined, b: LwwEntry<number> | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && compareEntries(a, b) === 0);

describe('last-write-wins merge', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(entryArb, entryArb, entryArb, (a, b, c) => {
        expect(same(mergeEntries(a, b), mergeEntries(b, a))).toBe(true);
        expect(same(mergeEntries(mergeEntries(a, b), c), mergeEntries(a, mergeEntries(b, c)))).toBe(true);
        expect(same(mergeEntries(a, a), a)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders ties by region, then id', () => {
    const east: LwwEntry<number> = { stamp: stamp(5, 0, 'us-east'), id: 'z', deleted: false, value: 1 };
    const west: LwwEntry<number> = { stamp: stamp(5, 0, 'us-west'), id: 'a', deleted: false, value: 2 };
    expect(mergeEntries(east, west)).toBe(west);
    const idA: LwwEntry<number> = { stamp: stamp(5), id: 'us-east:a', deleted: false, value: 1 };
    const idB: LwwEntry<number> = { stamp: stamp(5), id: 'us-east:b', deleted: false, value: 2 };
    expect(mergeEntries(idB, idA)).toBe(idB);
  });

  it('LwwMap replicas that apply the same writes in any order, with repeats, end equal', () => {
    const writeArb = fc.tuple(fc.constantFrom('k1', 'k2', 'k3'), entryArb);
    fc.assert(
      fc.property(
        fc.array(writeArb, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 80 }),
        (writes, picks) => {
          const inOrder = new LwwMap<number>();
          for (const [key, entry] of writes) inOrder.apply(key, entry);
          const shuffled = new LwwMap<number>();
          const order = [...writes.keys()].sort(
            (x, y) =>
              (picks[x % Math.max(1, picks.length)] ?? 0) - (picks[y % Math.max(1, picks.length)] ?? 0),
          );
          for (const i of [...order, ...order.slice(0, 5)]) {
            const [key, entry] = writes[i] as [string, LwwEntry<number>];
            shuffled.apply(key, entry);
          }
          expect(shuffled.toObject()).toEqual(inOrder.toObject());
          const merged = new LwwMap<number>().merge(shuffled).merge(inOrder);
          expect(merged.toObject()).toEqual(inOrder.toObject());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a delete against an older write that arrives later, until tombstones are pruned', () => {
    const map = new LwwMap<string>();
    expect(map.delete('acct', stamp(10), 'us-west:d1')).toBe(true);
    expect(map.set('acct', 'old', stamp(5), 'us-east:w1')).toBe(false);
    expect(map.get('acct')).toBeUndefined();
    expect(map.entry('acct')?.deleted).toBe(true);
    expect(map.pruneTombstones(stamp(11))).toBe(1);
    expect(map.size).toBe(0);
  });

  it('LwwRegister applies only newer writes', () => {
    const r = new LwwRegister<string>();
    expect(r.set('a', stamp(2), 'x')).toBe(true);
    expect(r.set('b', stamp(1), 'y')).toBe(false);
    expect(r.value).toBe('a');
    expect(r.delete(stamp(3), 'z')).toBe(true);
    expect(r.value).toBeUndefined();
    const other = new LwwRegister<string>();
    other.set('c', stamp(4), 'w');
    expect(r.merge(other).value).toBe('c');
  });
});
