import { describe, expect, it } from 'vitest';
import type { Checkpoint } from './records.js';
import { translateOffsets } from './translate-offsets.js';

const cp = (
  group: string,
  topic: string,
  partition: number,
  upstream: number,
  downstream: number,
): Checkpoint => ({
  consumerGroupId: group,
  topic,
  partition,
  upstreamOffset: BigInt(upstream),
  downstreamOffset: BigInt(downstream),
  metadata: '',
});

describe('translateOffsets', () => {
  it('keeps the last checkpoint per partition of the group, like RemoteClusterUtils', () => {
    const result = translateOffsets(
      [
        cp('g', 'us-east.orders', 0, 10, 9),
        cp('other', 'us-east.orders', 0, 99, 99),
        cp('g', 'us-east.orders', 1, 5, 5),
        cp('g', 'us-east.orders', 0, 30, 28),
        cp('g', 'us-east.a', 0, 3, 3),
      ],
      { group: 'g' },
    );
    expect(result.map((o) => [o.topic, o.partition, o.offset, o.upstreamOffset])).toEqual([
      ['us-east.a', 0, 3n, 3n],
      ['us-east.orders', 0, 28n, 30n],
      ['us-east.orders', 1, 5n, 5n],
    ]);
  });

  it('keeps a later checkpoint even if it moved backwards (a reset group), as MM2 does', () => {
    const result = translateOffsets([cp('g', 't', 0, 50, 50), cp('g', 't', 0, 0, 0)], { group: 'g' });
    expect(result[0]?.offset).toBe(0n);
  });

  it('is empty for an unknown group', () => {
    expect(translateOffsets([cp('g', 't', 0, 1, 1)], { group: 'nobody' })).toEqual([]);
  });
});
