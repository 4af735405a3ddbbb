import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetSyncStore, SYNCS_PER_PARTITION } from './offset-sync-store.js';

const sync = (up: number, down: number) => ({
  topic: 't',
  partition: 0,
  upstreamOffset: BigInt(up),
  downstreamOffset: BigInt(down),
});

describe('OffsetSyncStore', () => {
  it('translates exactly at a sync and one past it after it', () => {
    const store = new OffsetSyncStore();
    store.add(sync(100, 80));
    expect(store.translateDownstream('t', 0, 100n)).toBe(80n);
    expect(store.translateDownstream('t', 0, 150n)).toBe(81n);
    expect(store.translateDownstream('t', 0, 99n)).toBeNull();
    expect(store.translateDownstream('t', 1, 100n)).toBeNull();
    expect(store.translateDownstream('other', 0, 100n)).toBeNull();
  });

  it('keeps recent syncs precisely and older ones exponentially spaced', () => {
    const store = new OffsetSyncStore();
    for (let i = 0; i <= 10_000; i++) store.add(sync(i, i));
    // The newest syncs are all kept: a group at the head translates exactly.
    expect(store.translateDownstream('t', 0, 10_000n)).toBe(10_000n);
    expect(store.translateDownstream('t', 0, 9_999n)).toBe(9_999n);
    // Far behind, the answer is conservative and its error grows no faster than the distance from
    // the head: a group 5,000 behind replays at most 5,000 extra records.
    for (const probe of [9_990, 9_900, 9_000, 5_000, 1_000]) {
      const answer = store.translateDownstream('t', 0, BigInt(probe)) as bigint;
      expect(answer <= BigInt(probe)).toBe(true);
      expect(probe - Number(answer)).toBeLessThanOrEqual(10_000 - probe);
    }
    expect(store.keptSyncs('t', 0)).toBeLessThanOrEqual(SYNCS_PER_PARTITION);
  });

  it('clears the history when the upstream offset goes backwards (a truncated or recreated topic)', () => {
    const store = new OffsetSyncStore();
    store.add(sync(500, 500));
    store.add(sync(600, 600));
    store.add(sync(10, 700));
    expect(store.translateDownstream('t', 0, 550n)).toBe(701n);
    expect(store.translateDownstream('t', 0, 10n)).toBe(700n);
    expect(store.translateDownstream('t', 0, 9n)).toBeNull();
    expect(store.keptSyncs('t', 0)).toBe(1);
  });

  it('answers nothing until read to end when asked to wait', () => {
    const store = new OffsetSyncStore({ readToEnd: false });
    store.add(sync(1, 1));
    expect(store.translateDownstream('t', 0, 1n)).toBeNull();
    store.markReadToEnd();
    expect(store.translateDownstream('t', 0, 1n)).toBe(1n);
  });

  it('never skips a record, is monotonic, and stays bounded (property)', () => {
    // A replication run: upstream offsets with gaps (compaction, filtered records) mapped to
    // downstream offsets that are dense, sampled as offset syncs at random.
    const run = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 50 }), synced: fc.boolean() }), {
      minLength: 1,
      maxLength: 400,
    });
    fc.assert(
      fc.property(run, fc.array(fc.nat(25_000), { minLength: 1, maxLength: 30 }), (steps, probes) => {
        const store = new OffsetSyncStore();
        const records: { up: number; down: number }[] = [];
        let up = 0;
        steps.forEach((step, down) => {
          up += step.gap;
          records.push({ up, down });
          if (step.synced || down === 0) store.add(sync(up, down));
        });
        expect(store.keptSyncs('t', 0)).toBeLessThanOrEqual(SYNCS_PER_PARTITION);
        let last: bigint | null = null;
        for (const probe of [...probes].sort((a, b) => a - b)) {
          const answer = store.translateDownstream('t', 0, BigInt(probe));
          // The first replicated record the group has not consumed yet (upstream >= probe).
          const next = records.find((r) => r.up >= probe);
          if (answer !== null) {
            if (next) expect(answer <= BigInt(next.down)).toBe(true);
            if (last !== null) expect(answer >= last).toBe(true);
            last = answer;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays bounded for 100,000 syncs', () => {
    const store = new OffsetSyncStore();
    for (let i = 0; i < 100_000; i++) store.add(sync(i * 3, i));
    expect(store.keptSyncs('t', 0)).toBeLessThanOrEqual(SYNCS_PER_PARTITION);
    expect(store.translateDownstream('t', 0, 299_997n)).toBe(99_999n);
  });
});
