import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OffsetSync } from '../records.js';
import { latestSyncs, replicationLag, syncKey, translateBack } from './offset-sync-math.js';

const sync = (upstreamOffset: bigint, downstreamOffset: bigint): OffsetSync => ({
  topic: 'orders',
  partition: 0,
  upstreamOffset,
  downstreamOffset,
});

describe('offset sync arithmetic', () => {
  it('measures lag from a sync, or estimates it from end offsets', () => {
    // Source offset 100 is target offset 90 (gaps upstream); the target ends at 95, the source at 120.
    expect(replicationLag(120n, 95n, sync(100n, 90n))).toEqual({ records: 15n, basis: 'sync' });
    expect(replicationLag(120n, 95n, undefined)).toEqual({ records: 25n, basis: 'estimate' });
    expect(replicationLag(10n, 12n, undefined)).toEqual({ records: 0n, basis: 'estimate' });
  });

  it('keeps the newest sync per partition', () => {
    const latest = latestSyncs([sync(1n, 1n), { ...sync(5n, 4n), partition: 1 }, sync(9n, 7n)]);
    expect(latest.get(syncKey('orders', 0))?.upstreamOffset).toBe(9n);
    expect(latest.get(syncKey('orders', 1))?.upstreamOffset).toBe(5n);
  });

  it('translates back exactly at a sync and one past it beyond, never without proof', () => {
    const syncs = [sync(0n, 0n), sync(50n, 40n), sync(120n, 100n)];
    expect(translateBack(syncs, 40n)).toBe(50n);
    expect(translateBack(syncs, 41n)).toBe(51n);
    expect(translateBack(syncs, 99n)).toBe(51n);
    expect(translateBack(syncs, 500n)).toBe(121n);
    expect(translateBack([sync(50n, 40n)], 39n)).toBeNull();
    expect(translateBack([], 10n)).toBeNull();
  });

  it('never resumes past a record the group has not processed (property)', () => {
    // A replicated partition: upstream offsets with gaps map in order onto downstream 0..n-1.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.nat(),
        (gaps, syncPicks, positionPick) => {
          const upstream: bigint[] = [];
          let at = 0n;
          for (const gap of gaps) {
            upstream.push(at);
            at += BigInt(gap);
          }
          const picked = [...new Set(syncPicks.map((p) => p % upstream.length))].sort((a, b) => a - b);
          const syncs = picked.map((d) => sync(upstream[d] as bigint, BigInt(d)));
          const position = BigInt(positionPick % (upstream.length + 1));
          const back = translateBack(syncs, position);
          if (back === null) return;
          // Every downstream record at or past `position` is unprocessed; its upstream offset must be >= back.
          for (let d = Number(position); d < upstream.length; d++)
            expect(back <= (upstream[d] as bigint)).toBe(true);
        },
      ),
    );
  });
});
