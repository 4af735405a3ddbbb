import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  readCheckpoints,
  readTopicToEnd,
} from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { type NodeRun, runNode } from '../../../test/spawn-node.js';
import type { DrillResult } from './commands/drill.js';
import type { FailoverResult } from './commands/failover.js';
import type { StatusResult } from './commands/status.js';
import type { TranslateResult } from './commands/translate.js';
import type { ValidateResult } from './commands/validate.js';

const BIN = fileURLToPath(new URL('../dist/bin/mirrorkit.js', import.meta.url));

type Run = NodeRun;

/** Runs the built `mirrorkit` as a user would: a separate process, no TTY, no colours. */
function mirrorkit(...args: string[]): Promise<Run> {
  return runNode(BIN, args);
}

/** Parses stdout as JSON; on failure shows what the command printed. */
function json<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** A one-line error: `mirrorkit <command>: …`, no stack trace. */
function expectOneLineError(run: Run, command: string, pattern: RegExp): void {
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^mirrorkit${command ? ` ${command}` : ''}: `));
  expect(lines[0]).toMatch(pattern);
}

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

async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Consumes `topic` with `groupId` until `done()` (committing as it goes), recording keys. */
async function consume(
  kafka: Kafka,
  groupId: string,
  topic: string,
  seen: Map<string, number>,
  done: () => boolean,
): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.key?.toString() ?? '';
        seen.set(id, (seen.get(id) ?? 0) + 1);
        if (done()) consumer.pause([{ topic }]);
      },
    });
    await eventually(
      `${groupId} consumed enough of ${topic}`,
      async () => (done() ? true : undefined),
      60_000,
      50,
    );
  } finally {
    await consumer.disconnect();
  }
}

describe('the mirrorkit CLI, as a user runs it, on real clusters and real MirrorMaker 2', () => {
  const id = uniqueName('cli').slice(4);
  const a = `east-${id}`;
  const b = `west-${id}`;
  const topic = `orders-${id}`;
  const drillTopic = `mirrorkit-drill-${id}`;
  const group = `billing-${id}`;
  const policy = new DefaultReplicationPolicy();
  const remote = policy.formatRemoteTopic(a, topic);
  const ids: string[] = [];
  /** `mirrorkit <command> --config <file> --group <group> --from <from> --to <to> …` */
  const along = (
    command: string,
    config: string,
    from: string,
    to: string,
    ...rest: string[]
  ): Promise<Run> =>
    mirrorkit(command, '--config', config, '--group', group, '--from', from, '--to', to, ...rest);
  const onSource = new Map<string, number>();
  let mm2: MirrorMakerProcess | undefined;
  let dir = '';
  let mm2File = '';
  let deadSourceFile = '';
  let east: Kafka;
  let west: Kafka;
  let translated: TranslateResult | undefined;

  beforeAll(async () => {
    const clusters = sharedClusters({ attachLogsToTest: false });
    east = kafkaFor(clusters.east);
    west = kafkaFor(clusters.west);
    const admin = east.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [a]: clusters.east, [b]: clusters.west },
        flows: [`${a}->${b}`, `${b}->${a}`],
        extra: { topics: `${topic}|${drillTopic}`, 'offset.lag.max': '10' },
      }),
    });
    dir = mkdtempSync(join(tmpdir(), 'mirrorkit-cli-'));
    // The CLI reads the very file MirrorMaker 2 runs with.
    mm2File = mm2.propertiesFile;
    deadSourceFile = join(dir, 'dead-source.json');
    writeFileSync(
      deadSourceFile,
      JSON.stringify({ clusters: { [a]: { brokers: ['127.0.0.1:1'] }, [b]: { brokers: [clusters.west] } } }),
    );

    // The application runs as applications do: it consumes while records arrive. MM2's checkpoint
    // task translates only commits it has live offset syncs for (one that starts after the records
    // keeps just the newest sync per partition), so a group that read a finished burst would get none.
    const producer = east.producer({ idempotent: true });
    await producer.connect();
    const produce = async (count: number): Promise<void> => {
      const batch = Array.from({ length: count }, (_, n) => `${a}:order-${ids.length + n}`);
      await producer.send({ topic, acks: -1, messages: batch.map((key) => ({ key, value: key })) });
      ids.push(...batch);
    };
    const app = east.consumer({ groupId: group, maxWaitTimeInMs: 200 });
    await app.connect();
    await app.subscribe({ topics: [topic], fromBeginning: true });
    await app.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        onSource.set(key, (onSource.get(key) ?? 0) + 1);
      },
    });
    await eventually(
      'checkpoints of the running group on every partition',
      async () => {
        await produce(15);
        const read = await readCheckpoints(west, { sourceAlias: a, policy, group, timeoutMs: 10_000 });
        return new Set(read.offsets.filter((o) => o.topic === remote).map((o) => o.partition)).size === 3
          ? true
          : undefined;
      },
      90_000,
      500,
    ).catch((error: unknown) => {
      console.error(`---- MM2 log tail ----\n${mm2?.logTail(120)}`);
      throw error;
    });
    await app.disconnect();
    // Then the incident: records the application never processed on a. Failover must deliver them.
    await produce(150);
    await producer.disconnect();
    await eventually(
      `every record in ${remote}`,
      async () => {
        const copied = new Set((await readTopicToEnd(west, remote)).map((r) => r.key?.toString()));
        return ids.every((i) => copied.has(i)) ? true : undefined;
      },
      60_000,
      500,
    );
    // MM2 checkpoints the final commits within its 1 s interval; wait until two reads agree.
    let previous = '';
    await eventually(
      'settled checkpoints',
      async () => {
        const read = await readCheckpoints(west, { sourceAlias: a, policy, group, timeoutMs: 10_000 });
        const now = JSON.stringify(read.offsets, (_k, v: unknown) =>
          typeof v === 'bigint' ? v.toString() : v,
        );
        const settled = now === previous;
        previous = now;
        return settled ? true : undefined;
      },
      60_000,
      2000,
    );
  }, 180_000);

  afterAll(async () => {
    await mm2?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('status: clusters reachable, both flows with fresh heartbeats, lag per remote topic, checkpointed groups', async () => {
    onTestFailed(() => console.error(mm2?.logTail(40)));
    const result = await eventually(
      'status with the remote topic caught up',
      async () => {
        const run = await mirrorkit('status', '--config', mm2File, '--json');
        const status = json<StatusResult>(run);
        const flow = status.flows.find((f) => f.source === a && f.target === b);
        const lag = flow?.topics.find((t) => t.topic === remote)?.lag;
        return run.code === 0 && String(lag) === '0' ? status : undefined;
      },
      60_000,
      1000,
    );
    expect(result.verdict).toBe('ok');
    expect(result.clusters.map((c) => [c.alias, c.reachable])).toEqual([
      [a, true],
      [b, true],
    ]);
    expect(result.flows.map((f) => `${f.source}->${f.target}`).sort()).toEqual(
      [`${a}->${b}`, `${b}->${a}`].sort(),
    );
    const forward = result.flows.find((f) => f.source === a) as StatusResult['flows'][number];
    expect(forward.known).toBe('config');
    expect(forward.heartbeatAgeMs).not.toBeNull();
    expect(forward.heartbeatAgeMs as number).toBeLessThan(30_000);
    expect(forward.topics.find((t) => t.topic === remote)).toMatchObject({
      sourceTopic: topic,
      partitions: 3,
      basis: 'sync',
    });
    expect(forward.groups.find((g) => g.group === group)?.partitions).toBeGreaterThan(0);

    const human = await mirrorkit('status', '--config', mm2File);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${a} -> ${b}`);
    expect(human.stdout).toMatch(new RegExp(`${remote}\\s+3\\s+0`));
    expect(human.stdout).toContain('Status: OK');
    expect(human.stdout).not.toContain('\u001b[');
  });

  it('translate: the planned positions from the group’s checkpoints as a table and as JSON, the same as MM2’s translation, nothing changed', async () => {
    const run = await along('translate', mm2File, a, b, '--json');
    expect(run.code).toBe(0);
    translated = json<TranslateResult>(run);
    // The same answer as RemoteClusterUtils.translateOffsets (readCheckpoints is checked against it
    // in core's interop tests), read from the same checkpoints: nothing was clamped on a fresh topic.
    const reference = await readCheckpoints(west, { sourceAlias: a, policy, group });
    expect(
      translated.positions.map((p) => [p.topic, p.partition, String(p.sourceOffset), String(p.offset)]),
    ).toEqual(
      reference.offsets.map((o) => [o.topic, o.partition, String(o.sourceOffset), String(o.targetOffset)]),
    );
    expect(reference.offsets.every((o) => o.sourceTopic === topic)).toBe(true);
    expect(translated.problems).toEqual([]);
    expect(String(translated.lostRecords)).toBe('0');
    const commits = await committed(east, group, topic);
    const ends = await endOffsets(west, remote);
    expect(translated.positions).toHaveLength(3);
    for (const p of translated.positions) {
      expect(p.topic).toBe(remote);
      expect(p.basis).toBe('checkpoint');
      expect(p.replayBound).toBeNull();
      expect(p.checkpointAgeMs).toBeGreaterThanOrEqual(0);
      expect(BigInt(p.sourceOffset as bigint)).toBeLessThanOrEqual(commits.get(p.partition) as bigint);
      expect(BigInt(p.offset)).toBeLessThanOrEqual(BigInt(p.sourceOffset as bigint));
      expect(BigInt(p.offset)).toBeLessThanOrEqual(ends.get(p.partition) as bigint);
    }
    const human = await along('translate', mm2File, a, b);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /TOPIC\s+PARTITION\s+SOURCE OFFSET\s+TARGET OFFSET\s+BASIS\s+MAY REPLAY\s+CHECKPOINT AGE/,
    );
    for (const p of translated.positions)
      expect(human.stdout).toMatch(
        new RegExp(
          `${remote}\\s+${p.partition}\\s+${p.sourceOffset}\\s+${p.offset}\\s+checkpoint\\s+unbounded\\s+\\d`,
        ),
      );
    expect(human.stdout).not.toMatch(/clamped|refused|gone from/);
    // Neither run committed anything on the target.
    expect((await committed(west, group, remote)).size).toBe(0);
  });

  it('failover refuses while the source answers, and --dry-run --force commits nothing', async () => {
    const refused = await along('failover', mm2File, a, b);
    expect(refused.code).toBe(1);
    expectOneLineError(refused, 'failover', new RegExp(`${a} is reachable.*--force`));

    const dry = await along('failover', mm2File, a, b, '--force', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const result = json<FailoverResult>(dry);
    expect(result.committed).toBe(false);
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['source', 'warn'],
      ['replication', 'ok'],
      ['translate', 'ok'],
      ['target-group', 'ok'],
      ['commit', 'skipped'],
    ]);
    expect(result.positions.every((p) => p.basis === 'checkpoint')).toBe(true);
    expect((await committed(west, group, remote)).size).toBe(0);
  });

  it('failover refuses while the group has active members on the target', async () => {
    const squatter = west.consumer({ groupId: group, maxWaitTimeInMs: 200 });
    await squatter.connect();
    try {
      await squatter.subscribe({ topics: [remote] });
      let joined = false;
      squatter.on(squatter.events.GROUP_JOIN, () => {
        joined = true;
      });
      // Consume nothing: pause as soon as the group is joined, so no offsets are committed.
      await squatter.run({ eachMessage: async () => squatter.pause([{ topic: remote }]), autoCommit: false });
      await eventually('the squatter joined', async () => (joined ? true : undefined));
      const run = await along('failover', deadSourceFile, a, b, '--confirm-probes', '1');
      expect(run.code).toBe(1);
      expectOneLineError(run, 'failover', /active member\(s\) on .*offsets were not changed/);
    } finally {
      await squatter.disconnect();
    }
    expect((await committed(west, group, remote)).size).toBe(0);
  });

  it('failover with the source down: translates, commits, verifies; the group resumes on the target with nothing skipped', async () => {
    const human = await along('failover', deadSourceFile, a, b);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/1\. source\s+ok\s+east-\S+ unreachable after 3 probe/);
    expect(human.stdout).toMatch(
      /3\. translate\s+ok\s+3 partition\(s\) from east-\S+\.checkpoints\.internal/,
    );
    expect(human.stdout).toMatch(/6\. verify\s+ok/);
    expect(human.stdout).toMatch(/Result: group \S+ failed over to west-\S+/);
    // Run again for the JSON: same translation, and the previous commit shows as "was".
    const run = await along('failover', deadSourceFile, a, b, '--json');
    expect(run.code).toBe(0);
    const result = json<FailoverResult>(run);
    expect(result.committed).toBe(true);
    expect(result.sourceReachable).toBe(false);
    const committedOnTarget = await committed(west, group, remote);
    expect(committedOnTarget.size).toBe(3);
    for (const p of result.positions) {
      expect(p.basis).toBe('checkpoint');
      expect(committedOnTarget.get(p.partition)).toBe(BigInt(p.offset));
      expect(String(p.previous)).toBe(String(p.offset));
    }

    // Resume on the target: every id not processed on the source must arrive.
    const onTarget = new Map<string, number>();
    const missing = (): string[] => ids.filter((i) => !onSource.has(i) && !onTarget.has(i));
    await consume(west, group, remote, onTarget, () => missing().length === 0);
    expect(missing()).toEqual([]);
    expect(onTarget.size).toBeGreaterThanOrEqual(150);
  });

  it('validate: the failed-over group is present on the target and its lag holds; an unknown group fails', async () => {
    const run = await mirrorkit(
      'validate',
      '--config',
      mm2File,
      '--cluster',
      b,
      '--group',
      group,
      '--interval-ms',
      '500',
      '--json',
    );
    const result = json<ValidateResult>(run);
    expect(result.checks.map((c) => [c.check, c.verdict])).toEqual([
      ['group present', 'PASS'],
      ['checkpoint freshness', 'PASS'],
      ['lag trend', 'PASS'],
    ]);
    expect(result.committedOnCluster).toBe(true);
    expect(result.sources).toEqual([a]);
    expect(String(result.samples[1]?.lag)).toBe('0');
    expect(run.code).toBe(0);

    const unknown = await mirrorkit(
      'validate',
      '--config',
      mm2File,
      '--cluster',
      b,
      '--group',
      `nobody-${id}`,
      '--interval-ms',
      '100',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/group present\s+FAIL/);
    expect(unknown.stdout).toContain('Result: FAIL');
  });

  it('failback: the group returns to the source through the forward flow’s offset syncs, never past what it processed', async () => {
    const before = await committed(west, group, remote);
    const run = await along('failback', mm2File, b, a, '--json');
    expect(run.code).toBe(0);
    const result = json<FailoverResult>(run);
    expect(result.kind).toBe('failback');
    expect(result.committed).toBe(true);
    const ends = await endOffsets(east, topic);
    const onA = await committed(east, group, topic);
    expect(result.positions).toHaveLength(3);
    for (const p of result.positions) {
      expect(p.topic).toBe(topic);
      expect(p.basis).toBe('offset-sync');
      expect(BigInt(p.sourceOffset as unknown as string)).toBe(before.get(p.partition));
      // Identical offsets on both sides here (a fresh topic, no gaps): the group read everything on
      // b, so it returns at most to the end of a, at a position an offset sync proves.
      expect(BigInt(p.offset)).toBeLessThanOrEqual(ends.get(p.partition) as bigint);
      expect(BigInt(p.offset)).toBeGreaterThan(0n);
      expect(onA.get(p.partition)).toBe(BigInt(p.offset));
    }
  });

  it('drill: produce, consume part, replicate, checkpoint, fail over, resume — nothing skipped, RTO measured', async () => {
    const run = await mirrorkit(
      'drill',
      '--config',
      mm2File,
      '--from',
      a,
      '--to',
      b,
      '--topic',
      drillTopic,
      '--group',
      `drill-${id}`,
      '--records',
      '400',
      '--wait-ms',
      '90000',
      '--checkpoint-wait-ms',
      '15000',
      '--json',
    );
    if (run.code !== 0) console.error(run.stderr, mm2?.logTail(40));
    expect(run.code).toBe(0);
    const result = json<DrillResult>(run);
    expect(result.verdict).toBe('PASS');
    expect(result.produced).toBe(400);
    expect(result.skipped).toBe(0);
    expect(result.consumedOnSource).toBeGreaterThanOrEqual(200);
    expect(result.consumedOnSource + result.consumedOnTarget - result.duplicates).toBe(400);
    expect(result.rtoMs).toBeGreaterThan(0);
    expect(result.steps.map((s) => s.step)).toEqual([
      'prepare',
      'produce',
      'consume on source',
      'replication',
      'checkpoint',
      'failover',
      'resume on target',
    ]);
    expect(result.failover.committed).toBe(true);
  }, 180_000);

  it('bad input: one-line errors and documented exit codes', async () => {
    const none = await mirrorkit();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: mirrorkit <command>');

    const unknown = await mirrorkit('promote');
    expect(unknown.code).toBe(2);
    expectOneLineError(unknown, '', /unknown command "promote"/);

    const noConfig = await mirrorkit('status', '--config', join(dir, 'missing.json'));
    expect(noConfig.code).toBe(2);
    expectOneLineError(noConfig, 'status', /missing\.json: no such file/);

    const badFlag = await mirrorkit('translate', '--config', mm2File, '--group', group, '--from', a);
    expect(badFlag.code).toBe(2);
    expectOneLineError(badFlag, 'translate', /--to is required/);

    const alias = await mirrorkit(
      'translate',
      '--config',
      mm2File,
      '--group',
      group,
      '--from',
      a,
      '--to',
      'eu-central',
    );
    expect(alias.code).toBe(2);
    expectOneLineError(
      alias,
      'translate',
      /unknown cluster alias "eu-central" \(configured in .*: east-\S+, west-\S+\)/,
    );

    const group404 = await mirrorkit(
      'translate',
      '--config',
      mm2File,
      '--group',
      `nobody-${id}`,
      '--from',
      a,
      '--to',
      b,
      '--json',
    );
    expect(group404.code).toBe(2);
    expectOneLineError(
      group404,
      'translate',
      /group "nobody-\S+" has no checkpoints .*groups with checkpoints: .*billing-/,
    );
    expect(json<{ error: { code: string } }>(group404).error.code).toBe('CLI_UNKNOWN_GROUP');

    const unreachable = await along('translate', deadSourceFile, b, a);
    expect(unreachable.code).toBe(3);
    expectOneLineError(unreachable, 'translate', /cluster east-\S+ is unreachable: .*ECONNREFUSED/);
    expect(unreachable.ms).toBeLessThan(20_000);

    const down = await mirrorkit('status', '--config', deadSourceFile, '--json');
    expect(down.code).toBe(3);
    expect(json<StatusResult>(down).clusters.find((c) => c.alias === a)).toMatchObject({ reachable: false });

    const help = await mirrorkit('failover', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
    expect(help.stdout).toContain('Exit codes:');
  });
});
