import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintedCommit } from '@mirrorkit/client';
import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  FINGERPRINT_METADATA_PREFIX,
  type GroupCheckpoint,
  readCheckpoints,
  readTopicToEnd,
} from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { runCli } from './cli-main.js';
import type { FailoverResult } from './commands/failover.js';
import type { TranslateResult } from './commands/translate.js';

const PARTITIONS = 3;
const RECORDS = 3000;
/**
 * How many records of each partition each group processes before it stops: 1,234 of 3,000, none on
 * a multiple of offset.lag.max (100, MM2's default, left as it is), where MM2 writes offset syncs.
 */
const FINGERPRINTED_LIMITS = [411, 412, 411];
const PLAIN_LIMITS = [389, 402, 443];

/** What one run of the CLI did. */
interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `mirrorkit <args>` in this process, on the CLI's TypeScript sources like every other import
 * here (never a stale dist/), with streams that are no TTY and NO_COLOR set, as a script would.
 */
async function mirrorkit(args: readonly string[]): Promise<CliRun> {
  const out = { stdout: '', stderr: '' };
  const sink = (name: 'stdout' | 'stderr') =>
    ({
      isTTY: false,
      write(chunk: string | Uint8Array, done?: unknown): boolean {
        out[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
        if (typeof done === 'function') done();
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  const code = await runCli(args, { stdout: sink('stdout'), stderr: sink('stderr'), env: { NO_COLOR: '1' } });
  return { code, ...out };
}

/** Parses stdout as JSON; on failure shows what the command printed. */
function json<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The group's committed offsets on `topic`, by partition. */
async function committed(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(
      (fetched?.partitions ?? [])
        .filter((p) => p.offset !== '-1')
        .map((p) => [p.partition, BigInt(p.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * A plain kafkajs application: processes the first `limits[p]` records of each partition of `topic`
 * and stops. `fingerprinted` commits every record with `fingerprintedCommit` (autoCommit off);
 * otherwise kafkajs commits as it does by default. Returns the last record processed per partition.
 */
async function runApplication(
  kafka: Kafka,
  groupId: string,
  topic: string,
  limits: readonly number[],
  fingerprinted: boolean,
): Promise<Map<number, KafkaMessage>> {
  const processed = new Map<number, number>();
  const last = new Map<number, KafkaMessage>();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: !fingerprinted,
      eachMessage: async ({ topic: t, partition, message, pause }) => {
        const done = processed.get(partition) ?? 0;
        const limit = limits[partition] ?? 0;
        // Past the stop (a batch fetched before the pause): not processed, and with autoCommit off
        // not committed either. Pausing keeps the plain group from getting here.
        if (done >= limit) {
          pause();
          return;
        }
        if (fingerprinted) await consumer.commitOffsets([fingerprintedCommit(t, partition, message)]);
        processed.set(partition, done + 1);
        last.set(partition, message);
        if (done + 1 >= limit) pause();
      },
    });
    await eventually(
      `${groupId} processed its share of ${topic}`,
      async () => (limits.every((limit, p) => (processed.get(p) ?? 0) >= limit) ? true : undefined),
      90_000,
      50,
    );
  } finally {
    await consumer.disconnect();
  }
  return last;
}

describe('exact failover with the mirrorkit CLI: a plain kafkajs group, real MirrorMaker 2 checkpoints', () => {
  const id = uniqueName('x').slice(2);
  const a = `east-${id}`;
  const b = `west-${id}`;
  const topic = `orders-${id}`;
  const fingerprintedGroup = `billing-fp-${id}`;
  const plainGroup = `billing-plain-${id}`;
  const policy = new DefaultReplicationPolicy();
  const remote = policy.formatRemoteTopic(a, topic);
  let mm2: MirrorMakerProcess | undefined;
  let dir = '';
  let deadSourceFile = '';
  let east: Kafka;
  let west: Kafka;
  /** Per group and partition: the id of the last record it processed on the source. */
  const lastProcessed = new Map<string, Map<number, string>>();
  /** Per record id: its partition and offset on the target (MM2's copy). */
  const onTarget = new Map<string, { partition: number; offset: bigint }>();
  const checkpoints = new Map<string, readonly GroupCheckpoint[]>();
  const started = Date.now();

  /** `mirrorkit <command> --config <file> --group <group> --from a --to b …` */
  const cli = (command: string, config: string, group: string, ...rest: string[]): Promise<CliRun> =>
    mirrorkit([command, '--config', config, '--group', group, '--from', a, '--to', b, ...rest]);

  /** Where each partition must resume on the target: right after the group's last record there. */
  const exactPositions = (group: string): Map<number, bigint> =>
    new Map(
      [...(lastProcessed.get(group) ?? [])].map(([partition, recordId]) => {
        const copy = onTarget.get(recordId);
        if (!copy || copy.partition !== partition) throw new Error(`${recordId} is not on ${b}`);
        return [partition, copy.offset + 1n];
      }),
    );

  beforeAll(async () => {
    const clusters = sharedClusters({ attachLogsToTest: false });
    east = kafkaFor(clusters.east);
    west = kafkaFor(clusters.west);
    const admin = east.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const producer = east.producer({ idempotent: true });
    await producer.connect();
    for (let batch = 0; batch < RECORDS; batch += 500)
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 500 }, (_, i) => {
          const n = batch + i;
          return {
            partition: n % PARTITIONS,
            key: `${id}:order-${n}`,
            value: JSON.stringify({ n }),
            headers: { 'order-id': `${id}:order-${n}` },
          };
        }),
      });
    await producer.disconnect();

    // Both applications stop before MirrorMaker 2 first sees them. MM2 writes a checkpoint only
    // when its translated downstream offset advances, so a group that keeps committing inside one
    // offset sync's range after a checkpoint would leave MM2's checkpoint on an earlier commit;
    // this way every checkpoint it writes carries the group's final commit.
    const [fingerprinted, plain] = await Promise.all([
      runApplication(east, fingerprintedGroup, topic, FINGERPRINTED_LIMITS, true),
      runApplication(east, plainGroup, topic, PLAIN_LIMITS, false),
    ]);
    for (const [group, last] of [
      [fingerprintedGroup, fingerprinted],
      [plainGroup, plain],
    ] as const) {
      lastProcessed.set(group, new Map([...last].map(([p, m]) => [p, m.key?.toString() ?? ''])));
      // What each group committed on the source is exactly what it processed: the record after its last.
      const commits = await eventually(
        `${group}'s commits on ${a}`,
        async () => {
          const read = await committed(east, group, topic);
          return read.size === PARTITIONS ? read : undefined;
        },
        30_000,
      );
      for (const [p, m] of last) expect(commits.get(p)).toBe(BigInt(m.offset) + 1n);
    }

    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [a]: clusters.east, [b]: clusters.west },
        flows: [`${a}->${b}`],
        // offset.lag.max stays at MM2's default (100); checkpoints every second (testkit).
        extra: { topics: topic, groups: `${fingerprintedGroup}|${plainGroup}` },
      }),
    });
    dir = mkdtempSync(join(tmpdir(), 'mirrorkit-exact-'));
    // The failover happens with the source down: the CLI can only reach the target.
    deadSourceFile = join(dir, 'dead-source.json');
    writeFileSync(
      deadSourceFile,
      JSON.stringify({ clusters: { [a]: { brokers: ['127.0.0.1:1'] }, [b]: { brokers: [clusters.west] } } }),
    );

    try {
      await eventually(
        `all ${RECORDS} records in ${remote}`,
        async () => {
          const copied = await readTopicToEnd(west, remote, { timeoutMs: 20_000 });
          if (copied.length < RECORDS) return undefined;
          for (const r of copied)
            onTarget.set(r.key?.toString() ?? '', { partition: r.partition, offset: r.offset });
          return true;
        },
        120_000,
        1000,
      );
      // Checkpoints of both groups on every partition, carrying their final commits; settled when
      // two reads two seconds apart agree (MM2 re-translates every second while syncs arrive).
      let previous = '';
      await eventually(
        'settled checkpoints of both groups',
        async () => {
          const now: string[] = [];
          for (const group of [fingerprintedGroup, plainGroup]) {
            const read = await readCheckpoints(west, { sourceAlias: a, policy, group, timeoutMs: 10_000 });
            const commits = await committed(east, group, topic);
            const covering = read.offsets.filter((o) => commits.get(o.partition) === o.sourceOffset);
            if (covering.length !== PARTITIONS) return undefined;
            checkpoints.set(group, read.offsets);
            now.push(
              ...read.offsets.map((o) => `${group}/${o.partition}:${o.sourceOffset}->${o.targetOffset}`),
            );
          }
          const settled = now.join(',') === previous;
          previous = now.join(',');
          return settled ? true : undefined;
        },
        120_000,
        2000,
      );
    } catch (error) {
      console.error(`---- MM2 log tail ----\n${mm2?.logTail(120)}`);
      throw error;
    }
  }, 300_000);

  afterAll(async () => {
    await mm2?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a group that commits with fingerprintedCommit fails over exactly: the record after its last one, nothing replayed, nothing skipped', async () => {
    onTestFailed(() => console.error(mm2?.logTail(60)));
    const exact = exactPositions(fingerprintedGroup);
    // MM2's checkpoints carry the commit metadata, and on their own would replay: its translation
    // lands one past an offset sync, before the group's position.
    const checkpointed = checkpoints.get(fingerprintedGroup) ?? [];
    expect(checkpointed.every((c) => c.metadata.startsWith(FINGERPRINT_METADATA_PREFIX))).toBe(true);
    const checkpointReplay = checkpointed.reduce(
      (sum, c) => sum + ((exact.get(c.partition) as bigint) - c.targetOffset),
      0n,
    );
    expect(checkpointReplay).toBeGreaterThan(0n);
    expect(checkpointed.every((c) => c.targetOffset <= (exact.get(c.partition) as bigint))).toBe(true);

    // translate previews it, read-only.
    const preview = await cli('translate', deadSourceFile, fingerprintedGroup, '--json');
    expect(preview.code).toBe(0);
    const translated = json<TranslateResult>(preview);
    expect(
      translated.positions.map((p) => [p.partition, p.basis, String(p.offset), String(p.replayBound)]),
    ).toEqual(
      [...exact].sort(([x], [y]) => x - y).map(([p, offset]) => [p, 'fingerprint', String(offset), '0']),
    );
    expect(translated.problems).toEqual([]);
    const human = await cli('translate', deadSourceFile, fingerprintedGroup);
    expect(human.code).toBe(0);
    for (const [p, offset] of exact)
      expect(human.stdout).toMatch(
        new RegExp(`${remote}\\s+${p}\\s+\\d+\\s+${offset}\\s+fingerprint\\s+0\\s+\\d`),
      );
    expect(human.stdout).toContain(
      `exact: ${remote}[0,1,2] resume right after the record the checkpoint's commit metadata names; found on ${b} by its fingerprint`,
    );
    expect(human.stdout).not.toContain('replay not removed');
    expect((await committed(west, fingerprintedGroup, remote)).size).toBe(0);

    const failoverStarted = Date.now();
    const run = await cli('failover', deadSourceFile, fingerprintedGroup, '--confirm-probes', '1', '--json');
    const failoverMs = Date.now() - failoverStarted;
    if (run.code !== 0) console.error(run.stdout, run.stderr);
    expect(run.code).toBe(0);
    const result = json<FailoverResult>(run);
    expect(result.committed).toBe(true);
    expect(result.positions.map((p) => [p.partition, p.basis, String(p.replayBound)])).toEqual([
      [0, 'fingerprint', '0'],
      [1, 'fingerprint', '0'],
      [2, 'fingerprint', '0'],
    ]);
    expect(result.problems).toEqual([]);
    expect(result.steps.find((s) => s.step === 'translate')?.detail).toMatch(/3 exact by fingerprint/);

    // Ground truth from the clusters: the group's commit on the target against the target offset
    // of the record after the last one it processed on the source.
    const onWest = await committed(west, fingerprintedGroup, remote);
    let replayed = 0n;
    let skipped = 0n;
    for (const [p, offset] of exact) {
      const resumed = onWest.get(p) as bigint;
      if (resumed < offset) replayed += offset - resumed;
      if (resumed > offset) skipped += resumed - offset;
      expect(resumed).toBe(offset);
    }
    expect({ replayed, skipped }).toEqual({ replayed: 0n, skipped: 0n });
    console.log(
      `[exact failover] fingerprinted group: replayed ${replayed}, skipped ${skipped} (MM2's checkpoints alone: ${checkpointReplay} replayed); failover ${failoverMs} ms; ${Date.now() - started} ms since setup`,
    );
  });

  it('a group that commits with plain autoCommit fails over at the checkpoint: nothing skipped, and the replay it cannot remove is stated', async () => {
    onTestFailed(() => console.error(mm2?.logTail(60)));
    const exact = exactPositions(plainGroup);
    expect((checkpoints.get(plainGroup) ?? []).every((c) => c.metadata === '')).toBe(true);

    const human = await cli('failover', deadSourceFile, plainGroup, '--confirm-probes', '1');
    if (human.code !== 0) console.error(human.stdout, human.stderr);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/6\. verify\s+ok/);
    expect(human.stdout).toMatch(/TOPIC\s+PARTITION\s+OFFSET\s+BASIS\s+MAY REPLAY\s+SOURCE OFFSET\s+WAS/);
    expect(human.stdout).toContain(
      `replay not removed: ${remote}[0,1,2] resume at MM2's checkpoint (MAY REPLAY unbounded)`,
    );
    expect(human.stdout).toContain('to remove it: commit with fingerprintedCommit from @mirrorkit/client');
    expect(human.stdout).toContain('MirrorKit consumer');
    expect(human.stdout).not.toContain('exact:');

    // The same plan as JSON (a second run commits the same offsets: "was" shows the first).
    const run = await cli('failover', deadSourceFile, plainGroup, '--confirm-probes', '1', '--json');
    expect(run.code).toBe(0);
    const result = json<FailoverResult>(run);
    for (const p of result.positions) {
      expect(p.basis).toBe('checkpoint');
      expect(p.replayBound).toBeNull();
      expect(String(p.previous)).toBe(String(p.offset));
    }
    expect(result.problems).toEqual([]);

    const onWest = await committed(west, plainGroup, remote);
    let replayed = 0n;
    let skipped = 0n;
    for (const [p, offset] of exact) {
      const resumed = onWest.get(p) as bigint;
      expect(resumed).toBe(BigInt(result.positions.find((x) => x.partition === p)?.offset ?? -1));
      if (resumed < offset) replayed += offset - resumed;
      if (resumed > offset) skipped += resumed - offset;
    }
    expect(skipped).toBe(0n);
    console.log(
      `[exact failover] plain group: replayed ${replayed}, skipped ${skipped}; ${Date.now() - started} ms since setup`,
    );
  });
});
