import {
  type CheckpointRecords,
  DefaultReplicationPolicy,
  type OffsetSync,
  palette,
  readCheckpointRecords,
  readOffsetSyncs,
} from '@mirrorkit/core';
import type { Admin, Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MirrorKitCliError } from '../cli-error.js';
import type { ClusterAccess } from '../cluster-access.js';
import { planPositions } from '../failover-inputs.js';
import { type CommittedOffset, committedOffsets } from '../group-inspection.js';
import { formatTranslate, type TranslateResult, translateGroup } from './translate.js';

vi.mock('@mirrorkit/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@mirrorkit/core')>()),
  readCheckpointRecords: vi.fn(),
  readOffsetSyncs: vi.fn(),
}));
vi.mock('../group-inspection.js', () => ({ committedOffsets: vi.fn() }));
const readCheckpoints = vi.mocked(readCheckpointRecords);
const readSyncs = vi.mocked(readOffsetSyncs);
const commits = vi.mocked(committedOffsets);

const NOW = 1_700_000_000_000;
const policy = new DefaultReplicationPolicy();

/** A cluster access whose `us-west` holds the given partitions, as [logStart, highWatermark]. */
function fakeAccess(bounds: Record<string, [number, number][]>): ClusterAccess {
  const admin = {
    fetchTopicOffsets: async (topic: string) => {
      const partitions = bounds[topic];
      if (!partitions) throw new Error('This server does not host this topic-partition');
      return partitions.map(([low, high], partition) => ({
        partition,
        offset: String(high),
        low: String(low),
        high: String(high),
      }));
    },
  } as unknown as Admin;
  return {
    config: { policy, clusters: {}, flows: [], flowsDeclared: false, origin: 'test' },
    timeoutMs: 1000,
    kafka: () => ({}) as Kafka,
    call: <T>(_alias: string, _what: string, fn: () => Promise<T>) => fn(),
    withAdmin: <T>(_alias: string, _what: string, fn: (a: Admin) => Promise<T>) => fn(admin),
  } as unknown as ClusterAccess;
}

/** `us-east.checkpoints.internal` with checkpoints of `us-east.orders`: [group, partition, upstream, downstream, age]. */
function checkpointsTopic(rows: [string, number, bigint, bigint, number][], skipped = 0): CheckpointRecords {
  const checkpoints = rows.map(([consumerGroupId, partition, upstreamOffset, downstreamOffset, ageMs]) => ({
    checkpoint: {
      consumerGroupId,
      topic: 'us-east.orders',
      partition,
      upstreamOffset,
      downstreamOffset,
      metadata: '',
    },
    writtenAtMs: NOW - ageMs,
  }));
  return { topic: 'us-east.checkpoints.internal', checkpoints, skipped, skipReasons: [] };
}

const options = { group: 'billing', from: 'us-east', to: 'us-west' };

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  readCheckpoints.mockReset();
  readSyncs.mockReset();
  commits.mockReset().mockResolvedValue([]);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('mirrorkit translate', () => {
  it('plans every partition as failover would: checkpoints range-checked, own commits, the rest from the start', async () => {
    readCheckpoints.mockResolvedValue(
      checkpointsTopic(
        [
          ['billing', 0, 52n, 50n, 9000],
          ['billing', 0, 60n, 58n, 2100], // the later checkpoint of p0 wins
          ['billing', 1, 12n, 10n, 3000], // below p1's log start 30: clamped
          ['billing', 2, 9n, 8n, 4000], // past p2's end 5: refused
          ['audit', 3, 1n, 1n, 0],
        ],
        2,
      ),
    );
    commits.mockResolvedValue([
      { topic: 'payments', partition: 0, offset: 7n },
      { topic: 'deleted-since', partition: 0, offset: 3n },
    ]);
    const access = fakeAccess({
      'us-east.orders': [
        [0, 100],
        [30, 100],
        [0, 5],
        [4, 9],
      ],
      payments: [[0, 20]],
    });
    const result = await translateGroup(access, options);
    expect(commits).toHaveBeenCalledWith(access, 'us-west', 'billing');
    expect(readSyncs).not.toHaveBeenCalled();
    expect(result.positions).toEqual([
      { ...at('payments', 0, 7n, 'committed'), checkpointAgeMs: null },
      { ...at('us-east.orders', 0, 58n, 'checkpoint', 60n), checkpointAgeMs: 2100 },
      { ...at('us-east.orders', 1, 30n, 'checkpoint', 12n), checkpointAgeMs: 3000 },
      // The refused checkpoint falls to the no-position rule: no checkpoint age to show.
      { ...at('us-east.orders', 2, 0n, 'earliest'), checkpointAgeMs: null },
      { ...at('us-east.orders', 3, 4n, 'earliest'), checkpointAgeMs: null },
    ]);
    expect(result.problems.map((p) => [p.topic, p.partition, p.kind, p.offset, p.lostRecords])).toEqual([
      ['us-east.orders', 1, 'below-log-start', 10n, 20n],
      ['us-east.orders', 2, 'above-high-watermark', 8n, 0n],
    ]);
    expect(result.lostRecords).toBe(20n);
    expect(result).toMatchObject({
      group: 'billing',
      from: 'us-east',
      to: 'us-west',
      checkpointsTopic: 'us-east.checkpoints.internal',
      skippedRecords: 2,
    });

    expect(formatTranslate(result, palette(false))).toBe(
      [
        'Group billing: us-east → us-west (from us-east.checkpoints.internal on us-west)',
        '',
        'TOPIC           PARTITION  SOURCE OFFSET  TARGET OFFSET  BASIS       MAY REPLAY  CHECKPOINT AGE',
        'payments                0              -              7  committed   unbounded                -',
        'us-east.orders          0             60             58  checkpoint  unbounded            2.1 s',
        'us-east.orders          1             12             30  checkpoint  unbounded            3.0 s',
        'us-east.orders          2              -              0  earliest    unbounded                -',
        'us-east.orders          3              -              4  earliest    unbounded                -',
        '',
        'clamped: us-east.orders[1]: the checkpoint offset 10 is below the log start 30: 20 record(s) the group had not processed are gone; resuming at 30',
        "refused: us-east.orders[2]: the checkpoint offset 8 is past the partition's end (5); not used",
        '20 record(s) the group had not processed are gone from us-west (retention): a failover cannot deliver them',
        '',
        '2 record(s) in us-east.checkpoints.internal were not checkpoints and were skipped',
      ].join('\n'),
    );
  });

  it('shows a clean plan without a problems section', async () => {
    readCheckpoints.mockResolvedValue(checkpointsTopic([['billing', 0, 5n, 5n, 400]]));
    const result = await translateGroup(fakeAccess({ 'us-east.orders': [[0, 10]] }), options);
    const text = formatTranslate(result, palette(false));
    expect(text.split('\n').slice(2)).toEqual([
      'TOPIC           PARTITION  SOURCE OFFSET  TARGET OFFSET  BASIS       MAY REPLAY  CHECKPOINT AGE',
      'us-east.orders          0              5              5  checkpoint  unbounded           400 ms',
    ]);
  });

  it('keeps its errors: no checkpoints topic, and a group without checkpoints (naming those with some)', async () => {
    const access = fakeAccess({});
    readCheckpoints.mockResolvedValue(null);
    const none = await translateGroup(access, options).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(MirrorKitCliError);
    expect(none).toMatchObject({ code: 'CLI_NO_CHECKPOINTS', exitCode: 1 });
    expect((none as Error).message).toBe(
      'us-west has no us-east.checkpoints.internal: no MirrorMaker 2 (or sidecar) flow us-east->us-west writes checkpoints there',
    );

    readCheckpoints.mockResolvedValue(checkpointsTopic([['audit', 0, 1n, 1n, 0]]));
    const unknown = await translateGroup(access, options).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'CLI_UNKNOWN_GROUP', exitCode: 2 });
    expect((unknown as Error).message).toBe(
      'group "billing" has no checkpoints in us-east.checkpoints.internal on us-west (groups with checkpoints: audit)',
    );
    expect(commits).not.toHaveBeenCalled();
  });

  it('fails on a checkpointed topic it cannot read the bounds of, rather than print an unchecked offset', async () => {
    readCheckpoints.mockResolvedValue(checkpointsTopic([['billing', 0, 5n, 5n, 0]]));
    await expect(translateGroup(fakeAccess({}), options)).rejects.toThrow(/does not host/);
  });
});

describe('planPositions (failback)', () => {
  it('maps commits on copies of the target’s topics back through the forward flow’s offset syncs', async () => {
    const syncs: OffsetSync[] = [
      { topic: 'orders', partition: 0, upstreamOffset: 40n, downstreamOffset: 38n },
    ];
    readSyncs.mockResolvedValue(syncs);
    const onSource: CommittedOffset[] = [
      { topic: 'us-west.orders', partition: 0, offset: 45n },
      // Not a copy of us-west's topics: no reason to read offset syncs for it.
      { topic: 'local', partition: 0, offset: 3n },
    ];
    const access = fakeAccess({ orders: [[0, 100]] });
    const plan = await planPositions(
      access,
      { from: 'us-east', to: 'us-west', noPosition: 'latest' },
      [],
      [],
      onSource,
    );
    expect(readSyncs).toHaveBeenCalledWith({}, policy, 'us-east', 3000);
    expect(plan.positions).toEqual([
      { topic: 'orders', partition: 0, offset: 41n, basis: 'offset-sync', sourceOffset: 45n, replayBound: 6n },
    ]);
  });
});

function at(
  topic: string,
  partition: number,
  offset: bigint,
  basis: TranslateResult['positions'][number]['basis'],
  sourceOffset: bigint | null = null,
) {
  return { topic, partition, offset, basis, sourceOffset, replayBound: null };
}
