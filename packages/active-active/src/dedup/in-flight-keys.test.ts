import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InFlightKeys } from './in-flight-keys.js';

describe('InFlightKeys', () => {
  it('keeps track of keys in flight, however many share a tag and in whatever order they leave', () => {
    // Fingerprints with equal low words share the map tag and chain.
    const fps = [
      [1, 7],
      [2, 7],
      [3, 7],
      [4, 7],
      [5, 0x40000007],
      [1, 8],
    ] as const;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: fps.length - 1 }), { maxLength: 60 }), (ops) => {
        const keys = new InFlightKeys();
        const live = new Map<number, ReturnType<InFlightKeys['enter']>>();
        for (const i of ops) {
          const [hi, lo] = fps[i] as readonly [number, number];
          const entry = live.get(i);
          if (entry) {
            expect(keys.find(hi, lo)).toBe(entry);
            keys.leave(entry);
            live.delete(i);
          } else {
            expect(keys.find(hi, lo)).toBeUndefined();
            live.set(i, keys.enter(hi, lo));
          }
          for (const [j, [h, l]] of fps.entries()) expect(keys.find(h, l)).toBe(live.get(j));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('wakes waiters when their key leaves, and waitFor settles at once for a key not in flight', async () => {
    const keys = new InFlightKeys();
    const entry = keys.enter(1, 2);
    const woken: string[] = [];
    const waiting = keys.waitFor(1, 2).then(() => woken.push('a'));
    await keys.waitFor(3, 4);
    await Promise.resolve();
    expect(woken).toEqual([]);
    keys.leave(entry);
    await waiting;
    expect(woken).toEqual(['a']);
    expect(keys.find(1, 2)).toBeUndefined();
  });
});
