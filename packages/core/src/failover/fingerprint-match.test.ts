import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DefaultReplicationPolicy } from '../default-replication-policy.js';
import type { ProgressRecord } from '../records.js';
import { type FailoverPlanInput, planFailover } from './failover-planner.js';
import {
  applyFingerprintScans,
  type FingerprintScan,
  fingerprintSearches,
  narrowByTimestamp,
} from './fingerprint-match.js';
import { fingerprintMetadata, recordFingerprint } from './record-fingerprint.js';

const policy = new DefaultReplicationPolicy();
const record = (value: string, timestamp = 1000n) => ({ key: null, value: Buffer.from(value), timestamp });
const progress = (nextOffset: bigint, fingerprint: string, topic = 'orders'): ProgressRecord => ({
  sourceCluster: 'us-east',
  consumerGroupId: 'billing',
  topic,
  partition: 0,
  nextOffset,
  fingerprint,
  recordTimestamp: 1000n,
  writtenAtMs: 0n,
});

/**
 * Scans as a reader of `copy` (the target partition's records by offset) would return them, after
 * narrowing by the broker's time index over `times` (every record at 1000 when not given).
 */
function scansOver(
  input: FailoverPlanInput,
  copy: readonly string[],
  plan = planFailover(input),
  times: readonly bigint[] = copy.map(() => 1000n),
) {
  const firstAtOrAfter = (t: bigint): bigint | null => {
    const at = times.findIndex((x) => x >= t);
    return at < 0 ? null : BigInt(at);
  };
  const searches = fingerprintSearches(plan, input).map((s) => narrowByTimestamp(s, firstAtOrAfter));
  const scans: FingerprintScan[] = searches.map((s) => {
    const wanted = new Set(s.wanted.map((w) => w.fingerprint));
    const matches = new Map<string, bigint[]>();
    for (let o = s.from; o < s.to; o++) {
      const fp = recordFingerprint(record(copy[Number(o)] ?? '', times[Number(o)] ?? 0n));
      if (wanted.has(fp)) matches.set(fp, [...(matches.get(fp) ?? []), o]);
    }
    return { topic: s.topic, partition: s.partition, matches, read: s.to - s.from, complete: true };
  });
  return { searches, result: applyFingerprintScans(plan, searches, scans) };
}

const input = (copy: readonly string[], extra: Partial<FailoverPlanInput>): FailoverPlanInput => ({
  from: 'us-east',
  to: 'us-west',
  policy,
  partitions: [{ topic: 'us-east.orders', partition: 0, logStart: 0n, highWatermark: BigInt(copy.length) }],
  checkpoints: [],
  committed: [],
  ...extra,
});

describe('fingerprint matching', () => {
  const copy = Array.from({ length: 50 }, (_, i) => `r${i}`);

  it('a progress record newer than the checkpoint moves the position to the record after the one it names', () => {
    const { result } = scansOver(
      input(copy, {
        checkpoints: [{ topic: 'us-east.orders', partition: 0, offset: 10n, upstreamOffset: 12n }],
        progress: [progress(31n, recordFingerprint(record('r30')))],
      }),
      copy,
    );
    expect(result.positions[0]).toMatchObject({
      offset: 31n,
      basis: 'progress',
      sourceOffset: 31n,
      replayBound: 0n,
    });
    expect(result.problems).toEqual([]);
  });

  it("a checkpoint's metadata fingerprint makes the checkpoint exact; an older progress record is not used", () => {
    const { result } = scansOver(
      input(copy, {
        checkpoints: [
          {
            topic: 'us-east.orders',
            partition: 0,
            offset: 10n,
            upstreamOffset: 20n,
            metadata: fingerprintMetadata(record('r17')),
          },
        ],
        progress: [progress(5n, recordFingerprint(record('r4')))],
      }),
      copy,
    );
    expect(result.positions[0]).toMatchObject({ offset: 18n, basis: 'fingerprint', sourceOffset: 20n });
  });

  it('identical records: resumes after the first, so the ambiguity replays and the bound says how much', () => {
    const twins = copy.map((v, i) => (i === 22 || i === 25 ? 'same' : v));
    const { result } = scansOver(
      input(twins, {
        checkpoints: [{ topic: 'us-east.orders', partition: 0, offset: 10n, upstreamOffset: 12n }],
        progress: [progress(26n, recordFingerprint(record('same')))],
      }),
      twins,
    );
    expect(result.positions[0]).toMatchObject({ offset: 23n, basis: 'progress', replayBound: 3n });
  });

  it('not found (changed on the way, not replicated): the conservative position stands, reported', () => {
    const { result } = scansOver(
      input(copy, {
        checkpoints: [{ topic: 'us-east.orders', partition: 0, offset: 10n, upstreamOffset: 12n }],
        progress: [progress(31n, recordFingerprint(record('r30', 999n)))],
      }),
      copy,
    );
    expect(result.positions[0]).toMatchObject({ offset: 10n, basis: 'checkpoint' });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      kind: 'fingerprint-unmatched',
      basis: 'progress',
      offset: 9n,
    });
    expect(result.problems[0]?.message).toMatch(/not among the 41 record\(s\) read from offset 9 to the end/);
  });

  it('a failed read vouches for nothing, not even what it saw before failing', () => {
    const input0 = input(copy, { progress: [progress(31n, recordFingerprint(record('r30')))] });
    const plan = planFailover(input0);
    const searches = fingerprintSearches(plan, input0);
    const matches = new Map([[recordFingerprint(record('r30')), [30n]]]);
    const result = applyFingerprintScans(plan, searches, [
      { topic: 'us-east.orders', partition: 0, matches, read: 31n, complete: false, failure: 'timed out' },
    ]);
    expect(result.positions[0]).toMatchObject({ offset: 0n, basis: 'earliest' });
    expect(result.problems[0]?.message).toMatch(/failed after 31 record\(s\): timed out/);
  });

  it('the search bound cuts the range short and leaves the replay bound unknown', () => {
    const input0 = input(copy, { progress: [progress(6n, recordFingerprint(record('r5')))] });
    const plan = planFailover(input0);
    const [search] = fingerprintSearches(plan, input0, { maxRecords: 10 });
    expect(search).toMatchObject({ from: 0n, to: 10n, reachesEnd: false });
  });

  it('failback: a progress record of the copy read on the failed cluster names a record of the original', () => {
    const failback: FailoverPlanInput = {
      from: 'us-west',
      to: 'us-east',
      policy,
      partitions: [{ topic: 'orders', partition: 0, logStart: 0n, highWatermark: 50n }],
      checkpoints: [],
      committed: [{ topic: 'orders', partition: 0, offset: 20n }],
      progress: [
        { ...progress(41n, recordFingerprint(record('r40')), 'us-east.orders'), sourceCluster: 'us-west' },
      ],
    };
    const { result } = scansOver(failback, copy);
    expect(result.positions[0]).toMatchObject({ topic: 'orders', offset: 41n, basis: 'progress' });
  });

  it("the broker's time index moves the start forward, never past the wanted record; none there: nothing to read", () => {
    const input0 = input(copy, {
      checkpoints: [{ topic: 'us-east.orders', partition: 0, offset: 10n, upstreamOffset: 12n }],
      progress: [progress(31n, recordFingerprint(record('r30')))],
    });
    const [search] = fingerprintSearches(planFailover(input0), input0);
    if (!search) throw new Error('no search');
    expect(search).toMatchObject({ from: 9n, to: 50n, reachesEnd: true });
    expect(narrowByTimestamp(search, () => 28n)).toMatchObject({ from: 28n, to: 50n, reachesEnd: true });
    // An answer below the conservative start does not move it back.
    expect(narrowByTimestamp(search, () => 3n)).toMatchObject({ from: 9n });
    expect(narrowByTimestamp(search, () => null)).toMatchObject({ from: 50n, to: 50n });
    // The bound applies from the new start.
    const bounded = fingerprintSearches(planFailover(input0), input0, { maxRecords: 5 })[0];
    if (!bounded) throw new Error('no search');
    expect(narrowByTimestamp(bounded, () => 28n)).toMatchObject({ from: 28n, to: 33n, reachesEnd: false });
  });

  it('a read stopped after the find (the tail bound) leaves the replay bound unknown', () => {
    const input0 = input(copy, { progress: [progress(31n, recordFingerprint(record('r30')))] });
    const plan = planFailover(input0);
    const searches = fingerprintSearches(plan, input0);
    const matches = new Map([[recordFingerprint(record('r30')), [30n]]]);
    const result = applyFingerprintScans(plan, searches, [
      { topic: 'us-east.orders', partition: 0, matches, read: 40n, complete: false },
    ]);
    expect(result.positions[0]).toMatchObject({ offset: 31n, basis: 'progress', replayBound: null });
  });

  it('never skips: for any log with repeated records, any processed prefix and any safe conservative position', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.nat(),
        fc.nat(),
        (log, n, c) => {
          // Values and timestamps both repeat, and timestamps go back and forth (CreateTime).
          const values = log.map(([v]) => v);
          const times = log.map(([, t]) => BigInt(t));
          const processed = 1 + (n % values.length); // the group processed records 0 .. processed-1
          const checkpoint = BigInt(c % (processed + 1)); // any position with everything before it processed
          const last = values[processed - 1] as string;
          const lastTime = times[processed - 1] as bigint;
          const input0 = input(values, {
            checkpoints: [
              { topic: 'us-east.orders', partition: 0, offset: checkpoint, upstreamOffset: checkpoint },
            ],
            progress: [
              {
                ...progress(BigInt(processed), recordFingerprint(record(last, lastTime))),
                recordTimestamp: lastTime,
              },
            ],
          });
          const { result } = scansOver(input0, values, planFailover(input0), times);
          const position = result.positions[0];
          // Nothing skipped: the resume position is at or before the first unprocessed record.
          expect(position?.offset).toBeLessThanOrEqual(BigInt(processed));
          expect(position?.offset).toBeGreaterThanOrEqual(checkpoint);
          // And it is found: the record is always there.
          expect(position?.basis).toBe('progress');
          // And the replay bound holds.
          const replayed = BigInt(processed) - (position?.offset ?? 0n);
          if (position?.replayBound !== null)
            expect(replayed).toBeLessThanOrEqual(position?.replayBound ?? 0n);
        },
      ),
      { numRuns: 500 },
    );
  });
});
