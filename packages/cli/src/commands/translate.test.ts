import {
  applyFingerprintScans,
  type CheckpointRecords,
  DefaultReplicationPolicy,
  type FingerprintedRecord,
  type FingerprintScan,
  type FingerprintSearch,
  fingerprintMetadata,
  fingerprintSearches,
  type OffsetSync,
  type ProgressRecord,
  palette,
  readCheckpointRecords,
  readOffsetSyncs,
  readProgressRecords,
  recordFingerprint,
  refineByFingerprint,
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
  readProgressRecords: vi.fn(),
  refineByFingerprint: vi.fn(),
}));
vi.mock('../group-inspection.js', () => ({ committedOffsets: vi.fn() }));
const readCheckpoints = vi.mocked(readCheckpointRecords);
const readSyncs = vi.mocked(readOffsetSyncs);
const readProgress = vi.mocked(readProgressRecords);
const refine = vi.mocked(refineByFingerprint);
const commits = vi.mocked(committedOffsets);

/** A record as the source had it and MM2 copied it: named, at a fixed timestamp. */
const record = (name: string): FingerprintedRecord => ({
  key: Buffer.from(name),
  value: Buffer.from(`value of ${name}`),
  headers: {},
  timestamp: 1_700_000_000_000n,
});

/**
 * The records on us-west, per `topic[partition]`: offset → record name. The refinement is core's
 * own (searches, then applying the scans); only reading the target is faked, from these.
 */
let onTarget: Record<string, Record<number, string>> = {};
const searched: FingerprintSearch[] = [];
function fakeScan(search: FingerprintSearch): FingerprintScan {
  const wanted = new Set(search.wanted.map((w) => w.fingerprint));
  const matches = new Map<string, bigint[]>();
  let read = 0n;
  for (let offset = search.from; offset < search.to; offset++) {
    read++;
    const name = onTarget[`${search.topic}[${search.partition}]`]?.[Number(offset)];
    const fingerprint = name === undefined ? undefined : recordFingerprint(record(name));
    if (fingerprint !== undefined && wanted.has(fingerprint))
      matches.set(fingerprint, [...(matches.get(fingerprint) ?? []), offset]);
  }
  return { topic: search.topic, partition: search.partition, matches, read, complete: true };
}

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

/** `us-east.checkpoints.internal` with checkpoints of `us-east.orders`: [group, partition, upstream, downstream, age, metadata?]. */
function checkpointsTopic(
  rows: [string, number, bigint, bigint, number, string?][],
  skipped = 0,
): CheckpointRecords {
  const checkpoints = rows.map(
    ([consumerGroupId, partition, upstreamOffset, downstreamOffset, ageMs, metadata]) => ({
      checkpoint: {
        consumerGroupId,
        topic: 'us-east.orders',
        partition,
        upstreamOffset,
        downstreamOffset,
        metadata: metadata ?? '',
      },
      writtenAtMs: NOW - ageMs,
    }),
  );
  return { topic: 'us-east.checkpoints.internal', checkpoints, skipped, skipReasons: [] };
}

const options = { group: 'billing', from: 'us-east', to: 'us-west' };

const TO_REMOVE =
  'to remove it: commit with fingerprintedCommit from @mirrorkit/client (autoCommit false): MM2 copies the fingerprint into its checkpoints ' +
  'and failover resumes right after the checkpointed record; or consume with the MirrorKit consumer, whose progress records on the DR cluster are newer than any checkpoint.';

/** A progress record of `billing` for `orders` on `sourceCluster`, naming the record `name`. */
function progress(
  sourceCluster: string,
  partition: number,
  nextOffset: bigint,
  name: string,
  writtenAtMs: number,
): ProgressRecord {
  return {
    sourceCluster,
    consumerGroupId: 'billing',
    topic: 'orders',
    partition,
    nextOffset,
    fingerprint: recordFingerprint(record(name)),
    recordTimestamp: BigInt(record(name).timestamp),
    writtenAtMs: BigInt(writtenAtMs),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  readCheckpoints.mockReset();
  readSyncs.mockReset();
  readProgress.mockReset().mockResolvedValue(null);
  onTarget = {};
  searched.length = 0;
  refine.mockReset().mockImplementation(async (_kafka, plan, input, options) => {
    const searches = fingerprintSearches(plan, input, options);
    searched.push(...searches);
    return applyFingerprintScans(plan, searches, searches.map(fakeScan));
  });
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
        "replay not removed: us-east.orders[0,1] resume at MM2's checkpoint (MAY REPLAY unbounded): it can trail the group's last commit by an offset sync's distance (offset.lag.max, 100 records by default; more far behind the end of the topic) and by what the group committed after MM2 wrote it; those records are handed to the group again.",
        TO_REMOVE,
        '',
        '2 record(s) in us-east.checkpoints.internal were not checkpoints and were skipped',
      ].join('\n'),
    );
  });

  it('shows a clean plan without a problems section, and says what replay a plain checkpoint leaves', async () => {
    readCheckpoints.mockResolvedValue(checkpointsTopic([['billing', 0, 5n, 5n, 400]]));
    const result = await translateGroup(fakeAccess({ 'us-east.orders': [[0, 10]] }), options);
    expect(readProgress).toHaveBeenCalledWith({}, { group: 'billing', timeoutMs: 3000 });
    expect(result.progress).toEqual({
      topic: 'mirrorkit-progress.internal',
      found: false,
      records: 0,
      skippedRecords: 0,
      newestWrittenAtMs: null,
      error: null,
    });
    // No fingerprint anywhere: nothing to look for on the target.
    expect(searched).toEqual([]);
    const text = formatTranslate(result, palette(false));
    expect(text.split('\n').slice(2)).toEqual([
      'TOPIC           PARTITION  SOURCE OFFSET  TARGET OFFSET  BASIS       MAY REPLAY  CHECKPOINT AGE',
      'us-east.orders          0              5              5  checkpoint  unbounded           400 ms',
      '',
      expect.stringMatching(
        /^replay not removed: us-east\.orders\[0\] resume at MM2's checkpoint \(MAY REPLAY unbounded\)/,
      ),
      TO_REMOVE,
    ]);
  });

  it('resumes right after the record a progress record or a checkpoint fingerprint names, found on the target; reports what it did not find', async () => {
    // p0: the checkpoint (upstream 60 → 58) carries the fingerprint of the record at upstream 59;
    // MM2's coarse translation put it at 58, the record itself sits at 58 on us-west → 59.
    // p1: a progress record newer than the checkpoint names upstream 79 (nextOffset 80), at 75.
    // p2: a fingerprint that is not on us-west: the checkpoint stands, reported.
    // p3: a plain checkpoint (no metadata): stays, with the replay note.
    readCheckpoints.mockResolvedValue(
      checkpointsTopic(
        [
          ['billing', 0, 60n, 50n, 2000, fingerprintMetadata(record('a59'))],
          ['billing', 1, 70n, 65n, 3000, fingerprintMetadata(record('b69'))],
          ['billing', 2, 40n, 30n, 1000, fingerprintMetadata(record('c39'))],
          ['billing', 3, 20n, 12n, 5000],
        ],
        0,
      ),
    );
    readProgress.mockResolvedValue({
      topic: 'mirrorkit-progress.internal',
      records: [
        progress('us-east', 1, 80n, 'b79', NOW - 700),
        // Another cluster's progress of the same group: not this flow's.
        progress('eu-central', 1, 5n, 'x4', NOW),
      ],
      skipped: 3,
      skipReasons: [],
    });
    onTarget = {
      'us-east.orders[0]': { 49: 'a48', 58: 'a59' },
      'us-east.orders[1]': { 66: 'b69', 75: 'b79' },
    };
    const access = fakeAccess({
      'us-east.orders': [
        [0, 100],
        [0, 100],
        [0, 100],
        [0, 100],
      ],
    });
    const result = await translateGroup(access, options);
    expect(refine).toHaveBeenCalledWith({}, expect.anything(), expect.anything(), { timeoutMs: 3000 });
    // The metadata of each checkpoint reached the planner: p0 and p2 are searched from one before
    // the conservative position; p1 for the progress record first, then the checkpoint's.
    expect(searched.map((s) => [s.partition, s.from, s.wanted.map((w) => w.basis)])).toEqual([
      [0, 49n, ['fingerprint']],
      [1, 64n, ['progress', 'fingerprint']],
      [2, 29n, ['fingerprint']],
    ]);
    expect(result.positions).toEqual([
      {
        topic: 'us-east.orders',
        partition: 0,
        offset: 59n,
        basis: 'fingerprint',
        sourceOffset: 60n,
        replayBound: 0n,
        checkpointAgeMs: 2000,
      },
      {
        topic: 'us-east.orders',
        partition: 1,
        offset: 76n,
        basis: 'progress',
        sourceOffset: 80n,
        replayBound: 0n,
        checkpointAgeMs: null,
      },
      { ...at('us-east.orders', 2, 30n, 'checkpoint', 40n), checkpointAgeMs: 1000 },
      { ...at('us-east.orders', 3, 12n, 'checkpoint', 20n), checkpointAgeMs: 5000 },
    ]);
    expect(result.problems.map((p) => [p.partition, p.kind, p.basis, p.offset])).toEqual([
      [2, 'fingerprint-unmatched', 'fingerprint', 29n],
    ]);
    expect(result.progress).toEqual({
      topic: 'mirrorkit-progress.internal',
      found: true,
      records: 1,
      skippedRecords: 3,
      newestWrittenAtMs: NOW - 700,
      error: null,
    });

    expect(formatTranslate(result, palette(false), NOW)).toBe(
      [
        'Group billing: us-east → us-west (from us-east.checkpoints.internal on us-west; 1 progress record(s) of the group in mirrorkit-progress.internal, newest 700 ms old)',
        '',
        'TOPIC           PARTITION  SOURCE OFFSET  TARGET OFFSET  BASIS        MAY REPLAY  CHECKPOINT AGE',
        'us-east.orders          0             60             59  fingerprint           0           2.0 s',
        'us-east.orders          1             80             76  progress              0               -',
        'us-east.orders          2             40             30  checkpoint   unbounded            1.0 s',
        'us-east.orders          3             20             12  checkpoint   unbounded            5.0 s',
        '',
        "not exact: us-east.orders[2]: the group's last record (fingerprint from the checkpoint metadata) is not among the 71 record(s) read from offset 29 to the end: not replicated yet, or changed on the way (headers, timestamp type); resuming at the checkpoint position 30",
        '',
        "exact: us-east.orders[1] resume right after the record the group's progress record names, us-east.orders[0] right after the record the checkpoint's commit metadata names; found on us-west by its fingerprint",
        "replay not removed: us-east.orders[3] resume at MM2's checkpoint (MAY REPLAY unbounded): it can trail the group's last commit by an offset sync's distance (offset.lag.max, 100 records by default; more far behind the end of the topic) and by what the group committed after MM2 wrote it; those records are handed to the group again.",
        TO_REMOVE,
        '',
        '3 record(s) in mirrorkit-progress.internal were not progress records and were skipped',
      ].join('\n'),
    );
  });

  it('goes on from the checkpoints when the progress records cannot be read, and says so', async () => {
    readCheckpoints.mockResolvedValue(checkpointsTopic([['billing', 0, 5n, 5n, 400]]));
    readProgress.mockRejectedValue(new Error('Timed out reading mirrorkit-progress.internal\nat stack'));
    const result = await translateGroup(fakeAccess({ 'us-east.orders': [[0, 10]] }), options);
    expect(result.positions.map((p) => p.basis)).toEqual(['checkpoint']);
    expect(result.progress).toMatchObject({
      found: true,
      error: 'Timed out reading mirrorkit-progress.internal',
    });
    const text = formatTranslate(result, palette(false));
    expect(text.split('\n')[0]).toBe(
      'Group billing: us-east → us-west (from us-east.checkpoints.internal on us-west)',
    );
    expect(text.split('\n').at(-1)).toBe(
      'progress records not read from mirrorkit-progress.internal: Timed out reading mirrorkit-progress.internal; positions from checkpoints alone',
    );
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
      { group: 'billing', from: 'us-east', to: 'us-west', noPosition: 'latest' },
      [],
      [],
      onSource,
    );
    expect(readSyncs).toHaveBeenCalledWith({}, policy, 'us-east', 3000);
    expect(plan.positions).toEqual([
      {
        topic: 'orders',
        partition: 0,
        offset: 41n,
        basis: 'offset-sync',
        sourceOffset: 45n,
        replayBound: 6n,
      },
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
