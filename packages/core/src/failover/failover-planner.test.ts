import { describe, expect, it } from 'vitest';
import { DefaultReplicationPolicy } from '../default-replication-policy.js';
import { type FailoverPlanInput, planFailover } from './failover-planner.js';

const policy = new DefaultReplicationPolicy();
const bounds = (topic: string, partition: number, logStart: bigint, highWatermark: bigint) => ({
  topic,
  partition,
  logStart,
  highWatermark,
});
const base: FailoverPlanInput = {
  from: 'us-east',
  to: 'us-west',
  policy,
  partitions: [],
  checkpoints: [],
  committed: [],
};

describe('planFailover', () => {
  it('gives every partition the group reads a position: checkpoint, own commit, else the beginning', () => {
    const plan = planFailover({
      ...base,
      partitions: [
        bounds('us-east.orders', 0, 0n, 100n),
        bounds('us-east.orders', 1, 0n, 100n),
        bounds('orders', 0, 10n, 50n), // us-west's own topic: the failed-over producer writes here
        bounds('eu.orders', 0, 0n, 30n), // a third cluster's copy
      ],
      checkpoints: [{ topic: 'us-east.orders', partition: 0, offset: 40n, upstreamOffset: 42n }],
      committed: [{ topic: 'eu.orders', partition: 0, offset: 12n }],
    });
    expect(plan.positions.map((p) => [p.topic, p.partition, p.offset, p.basis])).toEqual([
      ['eu.orders', 0, 12n, 'committed'],
      ['orders', 0, 10n, 'earliest'],
      ['us-east.orders', 0, 40n, 'checkpoint'],
      ['us-east.orders', 1, 0n, 'earliest'],
    ]);
    expect(plan.positions[2]?.sourceOffset).toBe(42n);
    expect(plan.problems).toEqual([]);
    expect(plan.lostRecords).toBe(0n);
  });

  it('latest only when the caller chose it', () => {
    const plan = planFailover({ ...base, partitions: [bounds('orders', 0, 10n, 50n)], noPosition: 'latest' });
    expect(plan.positions[0]).toMatchObject({ offset: 50n, basis: 'latest' });
  });

  it('clamps a checkpoint below the log start and counts the records retention took', () => {
    const plan = planFailover({
      ...base,
      partitions: [bounds('us-east.orders', 0, 70n, 100n)],
      checkpoints: [{ topic: 'us-east.orders', partition: 0, offset: 40n, upstreamOffset: 41n }],
    });
    expect(plan.positions[0]).toMatchObject({ offset: 70n, basis: 'checkpoint' });
    expect(plan.problems).toEqual([
      expect.objectContaining({
        kind: 'below-log-start',
        offset: 40n,
        lostRecords: 30n,
        basis: 'checkpoint',
      }),
    ]);
    expect(plan.problems[0]?.message).toBe(
      'us-east.orders[0]: the checkpoint offset 40 is below the log start 70: 30 record(s) the group had not processed are gone; resuming at 70',
    );
    expect(plan.lostRecords).toBe(30n);
  });

  it('refuses a checkpoint past the end or negative, reports it, and applies the no-position rule', () => {
    const plan = planFailover({
      ...base,
      partitions: [bounds('us-east.orders', 0, 5n, 100n), bounds('us-east.orders', 1, 0n, 100n)],
      checkpoints: [
        { topic: 'us-east.orders', partition: 0, offset: 250n, upstreamOffset: 250n },
        { topic: 'us-east.orders', partition: 1, offset: -1n, upstreamOffset: 0n },
      ],
      // A commit is not a checkpoint: a refused checkpoint does not fall back to it.
      committed: [{ topic: 'us-east.orders', partition: 0, offset: 90n }],
    });
    expect(plan.positions.map((p) => [p.offset, p.basis])).toEqual([
      [5n, 'earliest'],
      [0n, 'earliest'],
    ]);
    expect(plan.problems.map((p) => p.kind)).toEqual(['above-high-watermark', 'negative']);
    expect(plan.problems[0]?.message).toMatch(/past the partition's end \(100\); not used/);
  });

  it('never commits a stale own commit past the end, nor below the log start unclamped', () => {
    const plan = planFailover({
      ...base,
      partitions: [bounds('orders', 0, 20n, 60n), bounds('orders', 1, 20n, 60n)],
      committed: [
        { topic: 'orders', partition: 0, offset: 80n },
        { topic: 'orders', partition: 1, offset: 3n },
      ],
    });
    expect(plan.positions.map((p) => [p.offset, p.basis])).toEqual([
      [20n, 'earliest'],
      [20n, 'committed'],
    ]);
    expect(plan.lostRecords).toBe(17n);
  });

  it('failback: maps the commit on the copy back through offset syncs, never past an unprocessed record', () => {
    const plan = planFailover({
      ...base,
      from: 'us-west',
      to: 'us-east',
      partitions: [
        bounds('orders', 0, 0n, 500n),
        bounds('orders', 1, 0n, 500n),
        bounds('orders', 2, 0n, 500n),
      ],
      // The group read us-east.orders on us-west while failed over.
      committedOnFrom: [
        { topic: 'us-east.orders', partition: 0, offset: 130n },
        { topic: 'us-east.orders', partition: 1, offset: 5n },
        { topic: 'other.orders', partition: 2, offset: 7n }, // another cluster's copy: not ours to map
      ],
      offsetSyncs: [
        { topic: 'orders', partition: 0, upstreamOffset: 100n, downstreamOffset: 98n },
        { topic: 'orders', partition: 0, upstreamOffset: 120n, downstreamOffset: 118n },
        { topic: 'orders', partition: 1, upstreamOffset: 50n, downstreamOffset: 40n },
      ],
    });
    expect(
      plan.positions.map((p) => [p.partition, p.offset, p.basis, p.sourceOffset, p.replayBound]),
    ).toEqual([
      // sync (120 -> 118), commit 130 on the copy: processed 120, resume at 121; copy records 119..129 were processed.
      [0, 121n, 'offset-sync', 130n, 11n],
      // no sync old enough to prove anything for partition 1: from the beginning
      [1, 0n, 'earliest', null, null],
      [2, 0n, 'earliest', null, null],
    ]);
  });

  it('failback: the replay bound comes from the sync that proved the position, not a later one', () => {
    const plan = planFailover({
      ...base,
      from: 'us-west',
      to: 'us-east',
      partitions: [bounds('orders', 0, 0n, 500n)],
      committedOnFrom: [{ topic: 'us-east.orders', partition: 0, offset: 130n }],
      offsetSyncs: [
        { topic: 'orders', partition: 0, upstreamOffset: 120n, downstreamOffset: 118n },
        // Past the group's commit on the copy: proves nothing here.
        { topic: 'orders', partition: 0, upstreamOffset: 121n, downstreamOffset: 135n },
      ],
    });
    expect(plan.positions.map((p) => [p.offset, p.basis, p.replayBound])).toEqual([
      [121n, 'offset-sync', 11n],
    ]);
  });
});
