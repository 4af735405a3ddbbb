import { type ClusterHealth, type FailoverReport, MirrorKit } from '@mirrorkit/client';
import { DefaultReplicationPolicy, readCheckpoints, readTopicToEnd, regionKey } from '@mirrorkit/core';
import {
  type Check,
  count,
  createTopic,
  duration,
  type ExampleResult,
  formatVerdict,
  localKafka,
  progressLog,
  sleep,
  startLocalClusters,
  startLocalMirrorMaker,
  Teardown,
  until,
} from '@mirrorkit/example-support';
import { type KafkaCluster, mirrorMakerTestProperties } from '@mirrorkit/testkit';
import { logLevel } from 'kafkajs';
import { accountDrill } from './drill-accounting.js';
import type { DrillReport } from './drill-report.js';

/** Options of {@link runActivePassive}. */
export interface ActivePassiveOptions {
  /** Progress lines (the summary is {@link formatActivePassive}'s job). Default: silent. */
  log?: (line: string) => void;
  /** Aborting stops the consumer, producer, MirrorMaker 2 and both clusters, then rejects. */
  signal?: AbortSignal;
  /** The consumer group. Default `fulfilment` (`pnpm demo`: `billing`). */
  groupId?: string;
  /** Orders per second the producer writes. Default 200 (`pnpm demo`: 500). */
  ordersPerSecond?: number;
  /** Least time the producer writes to us-east before it is killed. Default 4 s (`pnpm demo`: 6 s). */
  beforeCrashMs?: number;
  /** How long the producer keeps writing once it writes to us-west. Default 3 s (`pnpm demo`: 4 s). */
  afterFailoverMs?: number;
}

export type { Check };

/**
 * What a run observed; every figure is counted from what really is on the brokers. The figures of
 * the drill report (`pnpm demo`), the checks of the example, and a few more the example prints.
 */
export interface ActivePassiveResult extends ExampleResult, DrillReport {
  /** Ids MirrorMaker 2 had copied into `us-east.orders` on us-west when us-east died. */
  readonly replicated: number;
  /** Ids on us-west (replicated or written there), all of which the consumer must process. */
  readonly onTarget: number;
  /** Partitions of `us-east.orders` whose position on us-west came from a MirrorMaker 2 checkpoint. */
  /** Partitions of the copy where the failover resumed right after the last order processed. */
  readonly partitionsExact: number;
  readonly partitions: number;
}

const SOURCE = 'us-east';
const TARGET = 'us-west';
const TOPIC = 'orders';
const PARTITIONS = 3;
const CLIENT_ID = 'example-active-passive';
/** Sends per second: the producer sends a batch of orders every 50 ms, not waiting for the last one. */
const TICKS_PER_SECOND = 20;

/**
 * Active-passive disaster recovery on two fresh local clusters: MirrorMaker 2 replicates `orders`
 * from us-east to us-west, a MirrorKit producer writes orders with region-prefixed keys to
 * us-east and a MirrorKit consumer group reads them. Once MM2 has checkpointed the group's
 * position, us-east is SIGKILLed; nobody calls `failover()`. The run then reads what is on us-west
 * and accounts for every id: the consumer must have processed every id there, and the application
 * must never have seen a send fail.
 *
 * @returns the figures and checks; it rejects only when the example could not run (or was aborted).
 */
export async function runActivePassive(options: ActivePassiveOptions = {}): Promise<ActivePassiveResult> {
  const startedAt = Date.now();
  const log = progressLog(options.log, startedAt);
  const { signal } = options;
  const group = options.groupId ?? 'fulfilment';
  const teardown = new Teardown(log, signal);
  try {
    log(`starting Kafka clusters ${SOURCE} and ${TARGET} …`);
    const clusters = await startLocalClusters(teardown, [SOURCE, TARGET], signal);
    const [east, west] = clusters as [KafkaCluster, KafkaCluster];
    log(`Kafka ${east.version}: ${SOURCE}=${east.bootstrapServers} ${TARGET}=${west.bootstrapServers}`);
    const eastKafka = localKafka(east, CLIENT_ID);
    const westKafka = localKafka(west, CLIENT_ID);
    // `orders` exists on us-west too: it is where the producer writes once it has failed over.
    for (const kafka of [eastKafka, westKafka]) await createTopic(kafka, TOPIC, PARTITIONS);

    log(`starting MirrorMaker 2: ${SOURCE}->${TARGET}, topic ${TOPIC}, DefaultReplicationPolicy …`);
    // Released with kill(): after the crash MM2 has nothing left to flush, and a graceful stop
    // would only wait on us-east.
    await startLocalMirrorMaker(
      teardown,
      {
        properties: mirrorMakerTestProperties({
          clusters: { [SOURCE]: east.bootstrapServers, [TARGET]: west.bootstrapServers },
          flows: [`${SOURCE}->${TARGET}`],
          // An offset sync at least every 10 records keeps checkpoints close to the group's position.
          extra: { [`${SOURCE}->${TARGET}.topics`]: TOPIC, 'offset.lag.max': '10' },
        }),
      },
      signal,
    );

    const policy = new DefaultReplicationPolicy();
    const remoteTopic = policy.formatRemoteTopic(SOURCE, TOPIC); // us-east.orders
    const mk = new MirrorKit({
      clusters: {
        [SOURCE]: { brokers: [...east.brokers] },
        [TARGET]: { brokers: [...west.brokers] },
      },
      activeCluster: SOURCE,
      policy,
      logLevel: logLevel.NOTHING,
    });
    // Tighter than the defaults (1 s probes with 2 s timeouts, 3 failures over 3 s) so the clients
    // fail over within ~2 s of a crash or a partition (`pnpm bench failover` measures both). A
    // 500 ms timeout is generous on one network; across regions give probes more.
    const health = {
      intervalMs: 500,
      probeTimeoutMs: 500,
      failureThreshold: 3,
      minFailureDurationMs: 1500,
      heartbeatIntervalMs: 1000,
    };
    const consumer = mk.consumer({
      groupId: group,
      automaticFailover: true,
      health,
      metadataRefreshMs: 2000,
      // A stop waits for the fetch in flight; short fetch waits keep failover and exit quick.
      kafkajs: { maxWaitTimeInMs: 500 },
    });
    const producer = mk.producer({ automaticFailover: true, health, topicAfterFailover: 'logical' });
    teardown.add('the consumer', () => consumer.disconnect());
    teardown.add('the producer', () => producer.disconnect());

    let killedAt = 0;
    let failoverStartedAt: number | null = null;
    let failover: FailoverReport | undefined;
    let firstOnTarget: number | null = null;
    let heartbeatAgeMs: number | null = null;
    const deliveries = new Map<string, number>();
    const processed = new Map<string, number>();
    consumer.on('failover:start', () => {
      failoverStartedAt = Date.now();
      log(`consumer: ${SOURCE} unreachable long enough, failing over to ${TARGET} …`);
    });
    consumer.on('failover:complete', (report) => {
      failover = report;
      log(
        `consumer: failed over to ${report.to} in ${report.durationMs} ms (${report.reason}); ` +
          `${report.positions.filter((p) => p.basis === 'progress' || p.basis === 'fingerprint').length} partitions exact ` +
          `(resumed after the last order processed), ${report.positions.filter((p) => p.basis === 'checkpoint').length} from checkpoints`,
      );
    });
    // The RPO estimate the health monitor had: the age of us-east's heartbeats on us-west.
    consumer.on('health', (h: ClusterHealth) => {
      const age = h.alias === TARGET ? h.heartbeatAgeMs[SOURCE] : undefined;
      if (age !== undefined && killedAt === 0) heartbeatAgeMs = age;
    });
    consumer.on('error', (error) => log(`consumer: ${error.message}`));
    producer.on('failover:complete', (info) =>
      log(
        `producer: failed over to ${info.to} in ${info.durationMs} ms, ${info.flushed} waiting orders sent`,
      ),
    );
    producer.on('error', (error) => log(`producer: ${error.message}`));
    // fromBeginning matters after failover too: `orders` on us-west has no checkpoint (the
    // producer only starts writing there after the crash), so the group must read it from its
    // first record, or it would skip what the producer wrote before the consumer got there.
    await consumer.subscribe({ topics: [TOPIC], remote: true, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, cluster }) => {
        if (cluster === TARGET && firstOnTarget === null && killedAt > 0) firstOnTarget = Date.now();
        processed.set(cluster, (processed.get(cluster) ?? 0) + 1);
        const id = message.key?.toString() ?? '';
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      },
    });

    await producer.connect();
    const perTick = Math.max(1, Math.round((options.ordersPerSecond ?? 200) / TICKS_PER_SECOND));
    // Acknowledged ids and when each was created, for the RPO.
    const acknowledged = new Map<string, number>();
    const inFlight = new Set<Promise<void>>();
    let producerErrors = 0;
    let firstAckOnTarget: number | null = null;
    let producing = true;
    let next = 0;
    const produceLoop = (async () => {
      while (producing && !signal?.aborted) {
        const createdAt = Date.now();
        // Keyed by the region that wrote them: us-east:order-17, and us-west:order-… after failover.
        const ids = Array.from({ length: perTick }, () =>
          regionKey(producer.activeCluster, `order-${next++}`),
        );
        // Not awaited before the next one, as a busy service sends: during failover the sends in
        // flight and those made meanwhile wait, then go to us-west.
        const sending = producer
          .send({
            topic: TOPIC,
            acks: -1,
            messages: ids.map((id, i) => ({
              key: id,
              value: JSON.stringify({ id, amount: 10 + i, createdAt }),
            })),
          })
          .then(() => {
            for (const id of ids) acknowledged.set(id, createdAt);
            if (killedAt > 0 && firstAckOnTarget === null && producer.activeCluster === TARGET)
              firstAckOnTarget = Date.now();
          })
          .catch((error: unknown) => {
            producerErrors += ids.length;
            log(`send failed: ${error instanceof Error ? error.message : String(error)}`);
          });
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
        await new Promise((resolve) => setTimeout(resolve, 1000 / TICKS_PER_SECOND));
      }
    })();
    log(
      `producing ~${perTick * TICKS_PER_SECOND} orders/s to ${TOPIC} on ${SOURCE}; ` +
        `group ${group} consumes ${TOPIC} and every remote *.${TOPIC}`,
    );

    await sleep(options.beforeCrashMs ?? 4000, signal);
    // A drill starts from a steady state: MM2 has checkpointed the group on every partition, so the
    // failover has a position to translate (without one it would replay the partition from its
    // start: nothing skipped either, but no failover measured), and us-east's heartbeats arrive on
    // us-west, so the health monitor knows the replication lag when us-east dies. On a busy machine
    // MM2 can take longer for either than the fixed run-up.
    const checkpointed = async (): Promise<boolean> => {
      const read = await readCheckpoints(westKafka, {
        sourceAlias: SOURCE,
        policy,
        group,
        timeoutMs: 10_000,
      }).catch(() => null);
      const partitions = read?.offsets.filter((o) => o.topic === remoteTopic).map((o) => o.partition);
      return new Set(partitions).size === PARTITIONS;
    };
    const steady = async (): Promise<boolean> => heartbeatAgeMs !== null && (await checkpointed());
    if (!(await steady())) {
      log(
        `waiting for MirrorMaker 2 to checkpoint group ${group} on every partition ` +
          `and for ${SOURCE}'s heartbeats on ${TARGET} …`,
      );
      if (!(await until(steady, 90_000, signal)))
        log(
          `after 90 s: ${heartbeatAgeMs === null ? `no heartbeat from ${SOURCE} on ${TARGET}` : 'checkpoints missing'}; killing ${SOURCE} anyway`,
        );
    }

    killedAt = Date.now();
    await east.kill();
    log(`SIGKILL ${SOURCE} after ${count(acknowledged.size)} acknowledged orders`);

    await until(() => firstAckOnTarget !== null && failover !== undefined, 60_000, signal);
    await sleep(options.afterFailoverMs ?? 3000, signal);
    producing = false;
    await produceLoop;
    await Promise.all([...inFlight]);
    log(`producer stopped: ${count(acknowledged.size)} orders acknowledged, ${producerErrors} failed`);

    // Ground truth from us-west: what MM2 had copied before the crash, and what was written there.
    const replicated = idsOf(await readTopicToEnd(westKafka, remoteTopic, { timeoutMs: 30_000 }));
    const ackedOnTarget = idsOf(await readTopicToEnd(westKafka, TOPIC, { timeoutMs: 30_000 }));
    const ackedOnSource = new Set([...acknowledged.keys()].filter((id) => !ackedOnTarget.has(id)));
    const onTarget = new Set([...replicated, ...ackedOnTarget]);
    log(`waiting for the group to process the ${count(onTarget.size)} orders on ${TARGET} …`);
    if (!(await until(() => [...onTarget].every((id) => deliveries.has(id)), 60_000, signal)))
      log(`the group did not process every order on ${TARGET} within 60 s`);

    const accounting = accountDrill({ ackedOnSource, replicated, ackedOnTarget, deliveries });
    // The RPO: how long before the crash the oldest order lost with us-east was written.
    let oldestLost = killedAt;
    for (const id of ackedOnSource)
      if (!replicated.has(id)) oldestLost = Math.min(oldestLost, acknowledged.get(id) ?? killedAt);
    // Exact: the consumer's progress records named the last order it processed on each partition,
    // and the failover found it on the copy (MM2's checkpoint alone would replay what came after).
    const partitionsExact =
      failover?.positions.filter(
        (p) => p.topic === remoteTopic && (p.basis === 'progress' || p.basis === 'fingerprint'),
      ).length ?? 0;
    const checks: Check[] = [
      { name: 'the consumer failed over to us-west by itself', ok: failover?.to === TARGET },
      {
        name: 'it resumed right after the last order it processed on every partition',
        ok: partitionsExact === PARTITIONS,
      },
      { name: 'the producer failed over to us-west by itself', ok: firstAckOnTarget !== null },
      { name: 'no send failed for the application', ok: producerErrors === 0 },
      { name: 'no order on us-west was skipped', ok: accounting.skipped === 0 },
    ];
    const since = (at: number | null): number | null => (at === null ? null : at - killedAt);
    return {
      passed: checks.every((c) => c.ok),
      checks,
      source: SOURCE,
      target: TARGET,
      topic: TOPIC,
      groupId: group,
      policy: 'DefaultReplicationPolicy',
      accounting,
      ackedOnSource: ackedOnSource.size,
      ackedOnTarget: ackedOnTarget.size,
      processedOnSource: processed.get(SOURCE) ?? 0,
      processedOnTarget: processed.get(TARGET) ?? 0,
      replicated: replicated.size,
      onTarget: onTarget.size,
      rpoMs: killedAt - oldestLost,
      heartbeatAgeMs,
      consumerRtoMs: since(firstOnTarget),
      detectionMs: since(failoverStartedAt),
      failoverMs: failover?.durationMs ?? null,
      failoverSteps: failover?.steps ?? {},
      partitionsWithoutCheckpoint: failover?.partitionsWithoutCheckpoint ?? 0,
      partitionsExact,
      partitions: PARTITIONS,
      producerRtoMs: since(firstAckOnTarget),
      producerErrors,
      elapsedMs: Date.now() - startedAt,
    };
  } finally {
    const stopping = Date.now();
    await teardown.close();
    log(`stopped the clients, MirrorMaker 2 and both clusters in ${Date.now() - stopping} ms`);
  }
}

function idsOf(records: readonly { key: Buffer | null }[]): Set<string> {
  return new Set(records.map((record) => record.key?.toString() ?? ''));
}

/** The summary main.ts prints: the figures, then each check and the verdict. */
export function formatActivePassive(result: ActivePassiveResult): string {
  const a = result.accounting;
  const row = (label: string, value: string, note: string): string =>
    `  ${label.padEnd(20)}${value.padStart(8)}  ${note}`;
  return [
    `Active-passive: ${SOURCE} → ${TARGET}, topic ${TOPIC}, group ${result.groupId} (MirrorMaker 2, ${result.policy})`,
    '',
    row(
      'acknowledged',
      count(a.produced),
      `${count(result.ackedOnSource)} by ${SOURCE}, ${count(result.ackedOnTarget)} by ${TARGET} after failover`,
    ),
    row('replicated', count(result.replicated), `in ${SOURCE}.${TOPIC} on ${TARGET} when ${SOURCE} died`),
    row(
      'lost with us-east',
      count(a.lostWithSource),
      'acknowledged by us-east, not yet replicated (the RPO)',
    ),
    row('on us-west', count(result.onTarget), 'replicated or written there: all must be consumed'),
    row('consumed', count(a.consumed), 'distinct order ids'),
    row(
      'skipped',
      count(a.skipped),
      `ids on ${TARGET} never consumed${a.skipped ? ` (${a.skippedExamples.join(', ')})` : ''}`,
    ),
    row(
      'duplicates',
      count(a.duplicates),
      'delivered again after the failover (0 when exact; MM2 checkpoints alone replay since the last one)',
    ),
    row('send failures', count(result.producerErrors), 'seen by the application'),
    row(
      'exact positions',
      `${result.partitionsExact}/${result.partitions}`,
      'partitions resumed right after the last order processed (progress records)',
    ),
    row('consumer RTO', duration(result.consumerRtoMs), 'SIGKILL → first order processed on us-west'),
    row('producer RTO', duration(result.producerRtoMs), 'SIGKILL → first send acknowledged by us-west'),
    '',
    formatVerdict(result),
  ].join('\n');
}
