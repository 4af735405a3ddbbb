import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, recordCount, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import {
  endOffsets,
  flowProperties,
  kafkaAt,
  killChildren,
  openTransactions,
  type ReplicatorChild,
  type SteadyProducer,
  sleep,
  spawnReplicator,
  startSteadyProducer,
} from './fault-harness.testing.js';
import { checkReplication, describeVerdict, type ReplicationVerdict } from './replication-oracle.testing.js';

const policy = new DefaultReplicationPolicy();
const PARTITIONS = 4;
/**
 * The copy consumer's rebalance timeout (flow-replicator.ts; its session timeout is 10 s): frozen
 * at least this long, the stalled member is out of the group whatever rebalance was under way.
 */
const REBALANCE_TIMEOUT_MS = 20_000;

/** The partition count of the last `copy consumer joined` line of a JSON log. */
const lastJoin = (log: string): number =>
  Number([...log.matchAll(/copy consumer joined[^\n]*"partitions":(\d+)/g)].at(-1)?.[1] ?? 0);

describe('exactly-once: an owner stalled past the session timeout is fenced when it wakes up', () => {
  const children: ReplicatorChild[] = [];
  let producer: SteadyProducer | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    killChildren(children);
    await producer?.stop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a read_committed reader of the target sees every record exactly once', async () => {
    const started = Date.now();
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('stream');
    const remote = policy.formatRemoteTopic(a, topic);
    const group = `mirrorkit-replicator.${a}->${b}`;
    const source = kafkaAt(east);
    const target = kafkaAt(west);
    const admin = source.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: PARTITIONS }] });
    const members = async (): Promise<number> => {
      const { groups } = await admin.describeGroups([group]);
      return groups[0]?.state === 'Stable' ? groups[0].members.length : -1;
    };
    dir = mkdtempSync(join(tmpdir(), 'mirrorkit-faults-'));
    const file = join(dir, 'mm2.properties');
    writeFileSync(
      file,
      flowProperties(
        { a, b, source: east, target: west, topics: topic },
        'exactly.once.source.support = enabled\n',
      ),
    );
    const [stalled, survivor] = [0, 1].map((i) => spawnReplicator(['--config', file], `replicator ${i}`)) as [
      ReplicatorChild,
      ReplicatorChild,
    ];
    children.push(stalled, survivor);
    await eventually('both replicators in a stable group, sharing the partitions', async () =>
      (await members()) === 2 && lastJoin(stalled.log()) > 0 && lastJoin(survivor.log()) > 0
        ? true
        : undefined,
    );
    producer = await startSteadyProducer(source, topic, {
      partitions: PARTITIONS,
      perPartition: 10,
      tickMs: 50,
    });
    await eventually('copies on the target', async () =>
      (await recordCount(target, remote)) > 400 ? true : undefined,
    );

    // Frozen inside a transaction, so that waking up it has one to finish: a partition whose last
    // stable offset stays put below its high watermark while the survivor's move on is the frozen
    // process's open transaction. Between transactions (fetching), it is let go and frozen again.
    // Each miss lets it run about as long as it was stopped. Stopped 1 s and let go for only a
    // moment each time, it could stay unheard past its 10 s session timeout and leave the group,
    // after which no attempt can catch it in a transaction (all 20 missed once this stop).
    let frozen: number | undefined;
    let stoppedAt = 0;
    let attempts = 0;
    for (; attempts < 25 && frozen === undefined; attempts++) {
      stalled.process.kill('SIGSTOP');
      stoppedAt = Date.now();
      const first = await openTransactions(target, remote);
      await sleep(600);
      const then = await openTransactions(target, remote);
      frozen = [...first].find(([partition, lso]) => then.get(partition) === lso)?.[0];
      if (frozen === undefined) {
        stalled.process.kill('SIGCONT');
        await sleep(600 + 37 * (attempts % 5));
      }
    }
    expect(frozen, 'the stalled replicator frozen with a transaction open').toBeDefined();
    const frozenAt = (await endOffsets(target, remote, 'read_committed')).get(frozen as number) as bigint;
    const logAtStop = stalled.log().length;
    // The survivor owns everything once the group has dropped the frozen member: it re-initialised
    // each partition's transactional id, which aborts the frozen one's open transaction and fences it.
    await eventually(
      'the survivor alone owning every partition',
      async () => ((await members()) === 1 && lastJoin(survivor.log()) >= PARTITIONS + 1 ? true : undefined),
      40_000,
    );
    const copiedBySurvivor = await recordCount(target, remote);
    await eventually('the survivor copying', async () =>
      (await recordCount(target, remote)) > copiedBySurvivor + 200 ? true : undefined,
    );
    // The survivor aborts the frozen transaction when it first copies the partition (initialising
    // its transactional id), before the frozen process wakes up: the last stable offset moves on.
    await eventually(
      'the frozen transaction aborted by the survivor',
      async () =>
        (await endOffsets(target, remote, 'read_committed')).get(frozen as number) !== frozenAt
          ? true
          : undefined,
      20_000,
    );
    await sleep(stoppedAt + REBALANCE_TIMEOUT_MS - Date.now());
    const stalledMs = Date.now() - stoppedAt;
    stalled.process.kill('SIGCONT');
    // Awake, it rejoins; until then it may still hold batches and transactions of the old generation.
    await eventually(
      'the woken replicator back in the group',
      async () => (lastJoin(stalled.log().slice(logAtStop)) > 0 ? true : undefined),
      40_000,
    );
    await sleep(2000);
    const total = await producer.stop();
    producer = undefined;

    const verdict = await eventually<ReplicationVerdict>(
      'every source record on the target',
      async () => {
        const v = await checkReplication({ kafka: source, topic }, { kafka: target, topic: remote });
        return v.lost === 0 ? v : undefined;
      },
      30_000,
      500,
    );
    const woken = stalled.log().slice(logAtStop);
    const failures = woken.split('\n').filter((l) => /replication step failed|crashed/.test(l));
    console.log(
      `[faults] exactly-once stall ${stalledMs} ms (frozen in a transaction at attempt ${attempts}): ${total} records, ${describeVerdict(verdict)}, woken-up failures ${failures.length}: ${failures.slice(0, 2).join(' | ')}`,
    );
    // Two processes: two members, whatever happened in between (a count above means a process runs
    // more than one copy consumer).
    const memberCount = await eventually('a stable group', async () => {
      const n = await members();
      return n > 0 ? n : undefined;
    });
    await admin.disconnect();
    console.log(
      `[faults] exactly-once stall: ${memberCount} group members at the end, ${Date.now() - started} ms`,
    );
    // It was fenced: its first transaction after waking up failed on the epoch the survivor bumped.
    expect(woken).toMatch(/old epoch|fenced/i);
    expect(memberCount).toBe(2);
    expect(verdict.lost).toBe(0);
    expect(verdict.duplicated).toBe(0);
    expect(verdict.reordered).toBe(0);
    expect(verdict.extra).toBe(0);
  }, 90_000);
});
