import { describe, expect, it } from 'vitest';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { IdentityReplicationPolicy } from './identity-replication-policy.js';
import type { Checkpoint } from './records.js';
import { translateOffsets } from './translate-offsets.js';

const cp = (
  group: string,
  topic: string,
  partition: number,
  upstream: number,
  downstream: number,
  metadata = '',
): Checkpoint => ({
  consumerGroupId: group,
  topic,
  partition,
  upstreamOffset: BigInt(upstream),
  downstreamOffset: BigInt(downstream),
  metadata,
});

describe('translateOffsets', () => {
  it('keeps the last checkpoint per partition of the group, like RemoteClusterUtils', () => {
    const result = translateOffsets(
      [
        cp('g', 'us-east.orders', 0, 10, 9),
        cp('other', 'us-east.orders', 0, 99, 99),
        cp('g', 'us-east.orders', 1, 5, 5),
        cp('g', 'us-east.orders', 0, 30, 28, 'batch-7'),
        cp('g', 'us-east.a', 0, 3, 3),
      ],
      { group: 'g' },
    );
    expect(result).toEqual([
      {
        topic: 'us-east.a',
        partition: 0,
        sourceTopic: 'a',
        sourceOffset: 3n,
        targetOffset: 3n,
        metadata: '',
        writtenAtMs: null,
      },
      {
        topic: 'us-east.orders',
        partition: 0,
        sourceTopic: 'orders',
        sourceOffset: 30n,
        targetOffset: 28n,
        metadata: 'batch-7',
        writtenAtMs: null,
      },
      {
        topic: 'us-east.orders',
        partition: 1,
        sourceTopic: 'orders',
        sourceOffset: 5n,
        targetOffset: 5n,
        metadata: '',
        writtenAtMs: null,
      },
    ]);
  });

  it('keeps a later checkpoint even if it moved backwards (a reset group), as MM2 does', () => {
    const result = translateOffsets([cp('g', 't', 0, 50, 50), cp('g', 't', 0, 0, 0)], { group: 'g' });
    expect(result[0]?.targetOffset).toBe(0n);
  });

  it('is empty for an unknown group', () => {
    expect(translateOffsets([cp('g', 't', 0, 1, 1)], { group: 'nobody' })).toEqual([]);
  });

  it('keeps the timestamp of the winning record when the records carry one', () => {
    const result = translateOffsets(
      [
        { checkpoint: cp('g', 'us-east.orders', 0, 10, 9), writtenAtMs: 1000 },
        { checkpoint: cp('g', 'us-east.orders', 0, 20, 19), writtenAtMs: 900 },
      ],
      { group: 'g' },
    );
    expect(result.map((o) => [o.targetOffset, o.writtenAtMs])).toEqual([[19n, 900]]);
  });

  it('names the source topic with the given policy', () => {
    const custom = translateOffsets([cp('g', 'us-east_orders', 0, 1, 1)], {
      group: 'g',
      policy: new DefaultReplicationPolicy({ separator: '_' }),
    });
    expect(custom[0]?.sourceTopic).toBe('orders');
    // The default policy sees no source in `us-east_orders`: the topic stands for itself.
    expect(translateOffsets([cp('g', 'us-east_orders', 0, 1, 1)], { group: 'g' })[0]?.sourceTopic).toBe(
      'us-east_orders',
    );
    // Identity replication keeps names: a dotted topic is its own source topic.
    const identity = translateOffsets([cp('g', 'billing.orders', 0, 1, 1)], {
      group: 'g',
      policy: new IdentityReplicationPolicy({ sourceClusterAlias: 'us-east' }),
    });
    expect(identity[0]?.sourceTopic).toBe('billing.orders');
  });
});
