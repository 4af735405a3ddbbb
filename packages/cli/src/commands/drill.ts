import {
  commitGroupOffsets,
  count,
  createTopicsAndWait,
  duration,
  fingerprintMetadata,
  latestGroupCheckpoints,
  type Palette,
  readCheckpointRecords,
  readTopicToEnd,
  regionKey,
  textTable,
} from '@mirrorkit/core';
import type { Consumer } from 'kafkajs';
import { numberFlag, stringFlag } from '../cli-args.js';
import { requireFlowAliases } from '../cli-config.js';
import { EXIT, MirrorKitCliError } from '../cli-error.js';
import type { CliOutput } from '../cli-output.js';
import { ClusterAccess } from '../cluster-access.js';
import { committedOffsets, describeGroup, isActive } from '../group-inspection.js';
import type { Command } from './command.js';
import { type FailoverResult, runFailover } from './failover.js';

/** The result of `mirrorkit drill`, also its `--json` shape. */
export interface DrillResult {
  readonly from: string;
  readonly to: string;
  readonly topic: string;
  readonly remoteTopic: string;
  readonly group: string;
  readonly runId: string;
  readonly produced: number;
  readonly consumedOnSource: number;
  readonly consumedOnTarget: number;
  /** Ids of this run never processed on either cluster. Must be 0. */
  readonly skipped: number;
  readonly skippedExamples: readonly string[];
  /** Ids processed on the source and again on the target (replayed between checkpoint and stop). */
  readonly duplicates: number;
  /** From the start of the failover to the first record processed on the target. */
  readonly rtoMs: number;
  /** Each step's time, in order. */
  readonly steps: readonly { step: string; durationMs: number; detail: string }[];
  readonly failover: FailoverResult;
  readonly verdict: 'PASS' | 'FAIL';
}

interface DrillOptions {
  readonly from: string;
  readonly to: string;
  readonly topic: string;
  readonly group: string;
  readonly records: number;
  readonly partitions: number;
  readonly waitMs: number;
  /** Production rate while the group consumes. */
  readonly recordsPerSecond: number;
  /** How long to wait for checkpoints that cover the commits exactly. */
  readonly checkpointWaitMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, waitMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline)
      throw new MirrorKitCliError('CLI_TIMEOUT', `${what} (waited ${duration(waitMs)})`);
    await sleep(500);
  }
}

/**
 * Consumes with `group` on `alias` until `enough()` says so (or the deadline passes), recording each
 * of this run's ids. Commits what it processed when it stops. Returns when the first record arrived.
 */
async function consumeUntil(
  access: ClusterAccess,
  alias: string,
  group: string,
  topic: string,
  runPrefix: string,
  seen: Map<string, number>,
  enough: () => boolean,
  waitMs: number,
): Promise<{ firstAtMs: number | null }> {
  const consumer: Consumer = access
    .kafka(alias)
    .consumer({ groupId: group, maxWaitTimeInMs: 250, retry: { retries: 5 } });
  let firstAtMs: number | null = null;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      // Each record is committed with its fingerprint in the metadata (what @mirrorkit/client's
      // fingerprintedCommit does), as a drilled application should: MM2 copies it into the
      // checkpoint, and the failover resumes right after the last record processed.
      autoCommit: false,
      eachMessage: async ({ topic: read, partition, message }) => {
        firstAtMs ??= Date.now();
        const id = message.key?.toString() ?? '';
        if (id.includes(runPrefix)) seen.set(id, (seen.get(id) ?? 0) + 1);
        await consumer.commitOffsets([
          {
            topic: read,
            partition,
            offset: (BigInt(message.offset) + 1n).toString(),
            metadata: fingerprintMetadata(message),
          },
        ]);
        // Stop taking records once enough were processed.
        if (enough()) consumer.pause([{ topic }]);
      },
    });
    const deadline = Date.now() + waitMs;
    while (!enough() && Date.now() < deadline) await sleep(100);
  } finally {
    await consumer.disconnect();
  }
  return { firstAtMs };
}

/**
 * The quarterly DR drill on a scratch topic and group, non-destructive: produce `records` on the
 * source, consume about half with the drill group and stop it, wait until the flow has replicated
 * them and checkpointed the group's commits, fail the group over with the same steps as
 * `mirrorkit failover --force`, resume on the target and check that every record of this run was
 * processed on one cluster or the other. Reports the measured RTO and each step's time.
 */
export async function runDrill(
  access: ClusterAccess,
  options: DrillOptions,
  output: Pick<CliOutput, 'waiting' | 'line'>,
): Promise<DrillResult> {
  const { from, to, topic, group } = options;
  const { config } = access;
  const { policy } = config;
  const remoteTopic = policy.formatRemoteTopic(from, topic);
  const runId = `drill-${Date.now().toString(36)}`;
  const runPrefix = `${from}:${runId}-`;
  const steps: { step: string; durationMs: number; detail: string }[] = [];
  let stepStart = Date.now();
  const step = (name: string, detail: string): void => {
    const record = { step: name, durationMs: Date.now() - stepStart, detail };
    steps.push(record);
    output.line(`  ${name.padEnd(22)} ${duration(record.durationMs).padStart(8)}  ${detail}`);
    stepStart = Date.now();
  };

  // Preconditions: both clusters up, the flow replicates the topic and the group, nobody uses the group.
  await access.requireReachable(from);
  await access.requireReachable(to);
  if (config.flowsDeclared) {
    const flow = config.flows.find((f) => f.source === from && f.target === to)?.mm2;
    if (!flow) throw new MirrorKitCliError('CLI_REFUSED', `${config.origin} enables no flow ${from}->${to}`);
    if (!flow.topics.test(topic) || flow.topicsExclude.test(topic))
      throw new MirrorKitCliError(
        'CLI_REFUSED',
        `the flow ${from}->${to} does not replicate topic ${topic} (see its topics / topics.exclude)`,
      );
    if (!flow.groups.test(group) || flow.groupsExclude.test(group))
      throw new MirrorKitCliError(
        'CLI_REFUSED',
        `the flow ${from}->${to} does not checkpoint group ${group} (see its groups / groups.exclude)`,
      );
  }
  for (const alias of [from, to]) {
    const state = await describeGroup(access, alias, group);
    if (isActive(state))
      throw new MirrorKitCliError(
        'CLI_REFUSED',
        `drill group ${group} has active members on ${alias}; is another drill running?`,
      );
  }
  // Created if missing (and waited for until every leader serves); an existing one is reused.
  const sourceStart = await access.withAdmin(from, `creating ${topic}`, async (admin) => {
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: options.partitions }] });
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      offset: BigInt(p.high),
    }));
  });
  const targetStart = await access.withAdmin(to, `reading offsets of ${remoteTopic}`, async (admin) =>
    (await admin.listTopics()).includes(remoteTopic)
      ? new Map((await admin.fetchTopicOffsets(remoteTopic)).map((p) => [p.partition, BigInt(p.high)]))
      : new Map<number, bigint>(),
  );
  // The drill group starts where this run's records begin, whatever earlier drills left behind.
  await commitGroupOffsets(
    access.kafka(from),
    group,
    sourceStart.map((p) => ({ topic, partition: p.partition, offset: p.offset })),
  );
  step('prepare', `${topic} (${sourceStart.length} partitions) on ${from}, group ${group}, run ${runId}`);

  // Produce at a steady rate while the drill group consumes, as an application does. MM2's
  // checkpoint task translates only commits it has live offset syncs for (a task that starts keeps
  // just the newest sync per partition), so a burst produced before the group consumed would leave
  // the group's commits untranslatable.
  const onSource = new Map<string, number>();
  const half = Math.floor(options.records / 2);
  const ids: string[] = [];
  const perTick = Math.max(1, Math.round(options.recordsPerSecond / 10));
  const producer = access.kafka(from).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consuming = consumeUntil(
    access,
    from,
    group,
    topic,
    runPrefix,
    onSource,
    () => onSource.size >= half,
    options.waitMs,
  );
  try {
    await output.waiting(`producing ${count(options.records)} records to ${topic} on ${from}`, async () => {
      while (ids.length < options.records) {
        const tick = Date.now();
        const batch = Array.from({ length: Math.min(perTick, options.records - ids.length) }, (_, j) =>
          regionKey(from, `${runId}-${ids.length + j}`),
        );
        await producer.send({
          topic,
          acks: -1,
          messages: batch.map((key) => ({ key, value: JSON.stringify({ drill: runId, at: Date.now() }) })),
        });
        ids.push(...batch);
        await sleep(Math.max(0, 100 - (Date.now() - tick)));
      }
    });
  } finally {
    await producer.disconnect();
  }
  step('produce', `${count(ids.length)} records acknowledged by ${from} (~${count(perTick * 10)}/s)`);
  await output.waiting(`consuming ${count(half)} records on ${from}`, () => consuming);
  if (onSource.size < half)
    throw new MirrorKitCliError(
      'CLI_TIMEOUT',
      `the drill group consumed ${onSource.size} of ${half} records on ${from} in time`,
    );
  const committed = (await committedOffsets(access, from, group, [topic])).filter((c) => c.topic === topic);
  step(
    'consume on source',
    `${count(onSource.size)} records processed and committed, then the group stopped`,
  );

  // Replication and checkpoints must catch up before the failover can be judged.
  await output.waiting(`waiting for ${from}->${to} to replicate ${remoteTopic}`, () =>
    until(
      `${remoteTopic} on ${to} does not hold all ${ids.length} drill records: does the flow replicate ${topic}? (new topics are found every refresh.topics.interval.seconds)`,
      options.waitMs,
      async () => {
        const exists = await access.withAdmin(to, 'listing topics', async (admin) =>
          (await admin.listTopics()).includes(remoteTopic),
        );
        if (!exists) return undefined;
        const records = await readTopicToEnd(access.kafka(to), remoteTopic, {
          startOffsets: targetStart,
          timeoutMs: access.timeoutMs * 3,
        });
        const present = new Set(
          records.map((r) => r.key?.toString() ?? '').filter((k) => k.startsWith(runPrefix)),
        );
        return present.size >= ids.length ? true : undefined;
      },
    ),
  );
  step('replication', `all ${count(ids.length)} records are in ${remoteTopic} on ${to}`);
  const consumedOn = new Map(committed.map((c) => [c.partition, c.offset]));
  const moved = sourceStart.filter((p) => (consumedOn.get(p.partition) ?? p.offset) > p.offset);
  // MM2 writes a checkpoint only when its translation advances the downstream offset, its offset
  // syncs for the tail of a burst can arrive a commit interval later, and a checkpoint task that
  // (re)started after the commits cannot translate them at all: wait for checkpoints that cover the
  // commits exactly, but only so long. A trailing or missing checkpoint means replays, not skips.
  const coverage = async (): Promise<{ exact: number; behind: bigint }> => {
    const read = await readCheckpointRecords(access.kafka(to), policy, from, access.timeoutMs * 3);
    const latest = latestGroupCheckpoints(read?.checkpoints ?? [], group, policy);
    let exact = 0;
    let behind = 0n;
    for (const p of moved) {
      const committedAt = consumedOn.get(p.partition) ?? p.offset;
      const hit = latest.find((c) => c.topic === remoteTopic && c.partition === p.partition);
      if (hit && hit.sourceOffset === committedAt) exact++;
      else behind += committedAt - (hit && hit.sourceOffset > p.offset ? hit.sourceOffset : p.offset);
    }
    return { exact, behind };
  };
  const checkpointDeadline = Date.now() + options.checkpointWaitMs;
  let covered = await coverage();
  await output.waiting(`waiting for checkpoints of ${group} to cover its commits`, async () => {
    while (covered.exact < moved.length && Date.now() < checkpointDeadline) {
      await sleep(500);
      covered = await coverage();
    }
  });
  const checkpointNote =
    covered.exact === moved.length
      ? `checkpoints cover the group's commits on all ${moved.length} partition(s) it consumed`
      : `checkpoints cover ${covered.exact} of ${moved.length} partition(s) exactly; they trail the commits by ${count(Number(covered.behind))} record(s), which will be replayed`;
  step('checkpoint', checkpointNote);

  // Fail over, exactly as `mirrorkit failover --force` would, then resume on the target.
  const failoverStarted = Date.now();
  const failover = await runFailover(
    access,
    {
      kind: 'failover',
      group,
      from,
      to,
      dryRun: false,
      force: true,
      noCheckpoint: 'earliest',
      waitMs: 0,
      confirmProbes: 1,
    },
    () => undefined,
  );
  step('failover', `translated and committed ${failover.positions.length} partition(s) on ${to}`);
  const onTarget = new Map<string, number>();
  const remaining = ids.filter((id) => !onSource.has(id));
  const { firstAtMs } = await output.waiting(`resuming ${group} on ${to}`, () =>
    consumeUntil(
      access,
      to,
      group,
      remoteTopic,
      runPrefix,
      onTarget,
      () => remaining.every((id) => onTarget.has(id)),
      options.waitMs,
    ),
  );
  step('resume on target', `${count(onTarget.size)} records processed on ${to}`);
  // Leave no committed group behind on the target: the next drill's failover starts clean there.
  await access
    .withAdmin(to, `deleting group ${group}`, (admin) => admin.deleteGroups([group]))
    .catch(() => undefined);

  const skippedIds = ids.filter((id) => !onSource.has(id) && !onTarget.has(id));
  let duplicates = 0;
  for (const id of ids) duplicates += Math.max(0, (onSource.get(id) ?? 0) + (onTarget.get(id) ?? 0) - 1);
  return {
    from,
    to,
    topic,
    remoteTopic,
    group,
    runId,
    produced: ids.length,
    consumedOnSource: onSource.size,
    consumedOnTarget: onTarget.size,
    skipped: skippedIds.length,
    skippedExamples: skippedIds.slice(0, 5),
    duplicates,
    rtoMs: firstAtMs === null ? Number.NaN : firstAtMs - failoverStarted,
    steps,
    failover,
    verdict: skippedIds.length === 0 ? 'PASS' : 'FAIL',
  };
}

/** The human summary of a {@link DrillResult} (steps were printed as they ran). */
export function formatDrill(result: DrillResult, colors: Palette): string {
  const verdict = result.verdict === 'PASS' ? colors.green('PASS') : colors.red('FAIL');
  const lines = [
    '',
    textTable(
      [
        ['produced', count(result.produced), `on ${result.from}, topic ${result.topic}`],
        ['consumed on source', count(result.consumedOnSource), `before the stop, group ${result.group}`],
        ['consumed on target', count(result.consumedOnTarget), `after failover, from ${result.remoteTopic}`],
        [
          'skipped',
          result.skipped === 0 ? colors.green('0') : colors.red(count(result.skipped)),
          'records of this run never processed (must be 0)',
        ],
        [
          'duplicates',
          count(result.duplicates),
          "processed on both sides (0 when every partition resumed exactly, by fingerprint; else replayed from MM2's checkpoints)",
        ],
        ['RTO', duration(result.rtoMs), `failover started → first record processed on ${result.to}`],
      ],
      { indent: '  ' },
    ),
    '',
  ];
  if (result.skippedExamples.length > 0)
    lines.push(colors.red(`  skipped, e.g.: ${result.skippedExamples.join(', ')}`), '');
  lines.push(`Result: ${verdict}`);
  return lines.join('\n');
}

export const drillCommand: Command = {
  name: 'drill',
  summary:
    'The quarterly DR drill on a scratch topic and group: produce, consume part, stop, wait for replication, translate, resume on DR, verify nothing skipped; reports RTO and step times.',
  flags: {
    from: { kind: 'string', help: 'the primary cluster', required: true },
    to: { kind: 'string', help: 'the DR cluster', required: true },
    topic: { kind: 'string', help: 'scratch topic, created if missing and reused (default mirrorkit-drill)' },
    group: { kind: 'string', help: 'scratch consumer group (default mirrorkit-drill)' },
    records: { kind: 'number', help: 'records to produce (default 1000)' },
    rate: { kind: 'number', help: 'records per second produced while the group consumes (default 500)' },
    partitions: { kind: 'number', help: 'partitions of a newly created scratch topic (default 3)' },
    'wait-ms': {
      kind: 'number',
      help: 'longest wait for replication or consumption (default 300000)',
    },
    'checkpoint-wait-ms': {
      kind: 'number',
      help: 'longest wait for checkpoints that cover the commits exactly; then it goes on and counts the replays (default 30000)',
    },
  },
  async run({ flags, loadConfig, output, timeoutMs }) {
    const config = loadConfig();
    const { from, to } = requireFlowAliases(config, flags);
    const records = Math.trunc(numberFlag(flags, 'records', 1000));
    if (records < 2) throw new MirrorKitCliError('CLI_USAGE', '--records must be at least 2');
    const topic = stringFlag(flags, 'topic') ?? 'mirrorkit-drill';
    output.line(output.colors.bold(`DR drill: ${from} → ${to}, topic ${topic}`));
    output.line('');
    const result = await runDrill(
      new ClusterAccess(config, timeoutMs),
      {
        from,
        to,
        topic,
        group: stringFlag(flags, 'group') ?? 'mirrorkit-drill',
        records,
        partitions: Math.max(1, Math.trunc(numberFlag(flags, 'partitions', 3))),
        waitMs: numberFlag(flags, 'wait-ms', 300_000),
        checkpointWaitMs: numberFlag(flags, 'checkpoint-wait-ms', 30_000),
        recordsPerSecond: Math.max(10, numberFlag(flags, 'rate', 500)),
      },
      output,
    );
    output.result(result, () => formatDrill(result, output.colors));
    return result.verdict === 'PASS' ? EXIT.OK : EXIT.FAILED;
  },
};
