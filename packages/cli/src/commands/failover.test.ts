import { palette } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { type FailoverResult, formatFailover } from './failover.js';

const base: FailoverResult = {
  kind: 'failover',
  group: 'billing',
  from: 'us-east',
  to: 'us-west',
  dryRun: false,
  sourceReachable: false,
  heartbeatAgeMs: 1200,
  replicationLag: null,
  positions: [],
  problems: [],
  lostRecords: 0n,
  progress: {
    topic: 'mirrorkit-progress.internal',
    found: false,
    records: 0,
    skippedRecords: 0,
    newestWrittenAtMs: null,
    error: null,
  },
  committed: true,
  steps: [],
  warnings: [],
  durationMs: 812,
};

const position = (
  partition: number,
  offset: bigint,
  basis: FailoverResult['positions'][number]['basis'],
  replayBound: bigint | null,
  previous: bigint | null = null,
) => ({
  topic: 'us-east.orders',
  partition,
  offset,
  basis,
  sourceOffset: offset + 3n,
  replayBound,
  previous,
});

describe('formatFailover', () => {
  it('shows basis and replay bound per partition, which partitions are exact, and the replay a plain checkpoint leaves', () => {
    const unmatched =
      "us-east.orders[2]: the group's last record (fingerprint from the checkpoint metadata) is not among the 4 record(s) read from offset 9 to the end: not replicated yet, or changed on the way (headers, timestamp type); resuming at the checkpoint position 10";
    const text = formatFailover(
      {
        ...base,
        positions: [
          position(0, 1234n, 'fingerprint', 0n),
          position(1, 411n, 'progress', 0n, 400n),
          position(2, 10n, 'checkpoint', null),
          position(3, 7n, 'checkpoint', null),
        ],
        problems: [
          {
            topic: 'us-east.orders',
            partition: 2,
            kind: 'fingerprint-unmatched',
            basis: 'fingerprint',
            offset: 9n,
            lostRecords: 0n,
            message: unmatched,
          },
        ],
        warnings: [unmatched],
      },
      palette(false),
    );
    expect(text.split('\n')).toEqual([
      '',
      '  TOPIC           PARTITION  OFFSET  BASIS        MAY REPLAY  SOURCE OFFSET  WAS',
      '  us-east.orders          0    1234  fingerprint           0           1237    -',
      '  us-east.orders          1     411  progress              0            414  400',
      '  us-east.orders          2      10  checkpoint   unbounded              13    -',
      '  us-east.orders          3       7  checkpoint   unbounded              10    -',
      '',
      `warning: ${unmatched}`,
      "exact: us-east.orders[1] resume right after the record the group's progress record names, us-east.orders[0] right after the record the checkpoint's commit metadata names; found on us-west by its fingerprint",
      // Partition 2 looked for a fingerprint and did not find it: its warning says why, not this.
      expect.stringMatching(
        /^replay not removed: us-east\.orders\[3\] resume at MM2's checkpoint \(MAY REPLAY unbounded\)/,
      ),
      expect.stringMatching(
        /^to remove it: commit with fingerprintedCommit from @mirrorkit\/client \(autoCommit false\)/,
      ),
      'Result: group billing failed over to us-west in 812 ms; start its consumers on us-west.',
    ]);
  });

  it('adds nothing for positions that are neither exact nor plain checkpoints', () => {
    const text = formatFailover(
      {
        ...base,
        kind: 'failback',
        dryRun: true,
        positions: [position(0, 41n, 'offset-sync', 6n), position(1, 0n, 'earliest', null)],
      },
      palette(false),
    );
    expect(text.split('\n').slice(2, 4)).toEqual([
      '  us-east.orders          0      41  offset-sync           6             44    -',
      '  us-east.orders          1       0  earliest     unbounded               3    -',
    ]);
    expect(text).not.toMatch(/exact:|replay not removed|to remove it/);
    expect(text.split('\n').at(-1)).toBe(
      'Dry run: nothing committed. Without --dry-run, group billing would resume on us-west at the offsets above.',
    );
  });
});
