import { describe, expect, it } from 'vitest';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import {
  latestGroupCheckpoints,
  summarizeCheckpointGroups,
  type TimedCheckpoint,
} from './mm2-topic-readers.js';

const cp = (group: string, partition: number, up: bigint, down: bigint, at: number): TimedCheckpoint => ({
  checkpoint: {
    consumerGroupId: group,
    topic: 'us-east.orders',
    partition,
    upstreamOffset: up,
    downstreamOffset: down,
    metadata: '',
  },
  writtenAtMs: at,
});

describe('checkpoint view', () => {
  const records = [
    cp('billing', 1, 10n, 9n, 100),
    cp('billing', 0, 5n, 5n, 110),
    cp('audit', 0, 3n, 3n, 90),
    cp('billing', 1, 20n, 18n, 120),
  ];

  it('keeps the last checkpoint per partition of the group, sorted, with source names', () => {
    expect(latestGroupCheckpoints(records, 'billing', new DefaultReplicationPolicy())).toEqual([
      {
        topic: 'us-east.orders',
        partition: 0,
        sourceTopic: 'orders',
        sourceOffset: 5n,
        targetOffset: 5n,
        writtenAtMs: 110,
      },
      {
        topic: 'us-east.orders',
        partition: 1,
        sourceTopic: 'orders',
        sourceOffset: 20n,
        targetOffset: 18n,
        writtenAtMs: 120,
      },
    ]);
    expect(latestGroupCheckpoints(records, 'nobody', new DefaultReplicationPolicy())).toEqual([]);
  });

  it('summarises groups with partition counts and the newest write', () => {
    expect(summarizeCheckpointGroups(records)).toEqual([
      { group: 'audit', partitions: 1, newestMs: 90 },
      { group: 'billing', partitions: 2, newestMs: 120 },
    ]);
  });
});
