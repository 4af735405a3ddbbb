import { type FailoverReport, MirrorKit } from '@mirrorkit/client';
import { DefaultReplicationPolicy, readCheckpoints, readTopicToEnd } from '@mirrorkit/core';
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

/** Options of {@link runActivePassive}. */
export interface ActivePassiveOptions {
  /** Progress lines (the summary is {@link formatActivePassive}'s job). Default: silent. */
  log?: (line: string) => void;
  /** Aborting stops the consumer, producer, MirrorMaker 2 and both clusters, then rejects. */
  signal?: AbortSignal;
  /** Orders per second the producer writes. Default 200. */
  ordersPerSecond?: number;
  /** Least time the producer writes to us-east before it is killed. Default 4 s. */
  beforeCrashMs?: number;
  /** How long the producer keeps writing once it writes to us-west. Default 3 s. */
  afterFailoverMs?: number;
}

export type { Check };

/** What a run observed; every figure is counted from what really is on the brokers. */
export interface ActivePassiveResult extends ExampleResult {
  /** Order ids whose send was acknowledged: by us-east before it died, by us-west after failover. */
  readonly acknowledged: { readonly total: number; readonly bySource: number; readonly byTarget: number };
  /** Ids MirrorMaker 2 had copied into `us-east.orders` on us-west when us-east died. */
  readonly replicated: number;
  /** Acknowledged by us-east but not yet replicated when it died: the RPO, in orders. */
  readonly lostWithSource: number;
  /** Ids on us-west (replicated or written there), all of which the consumer must process. */
  readonly onTarget: number;
  /** Distinct ids the consumer group processed, on either cluster. */
  readonly consumed: number;
  /** Ids on us-west the consumer never processed. Must be 0. */
  readonly skipped: number;
  readonly skippedExamples: readonly string[];
  /** Deliveries of ids already processed: what lay between the last checkpoint and the crash. */
  readonly duplicates: number;
  /** Sends the application saw fail (the producer re-routes them during failover). Must be 0. */
  readonly sendFailures: number;
  /** Partitions whose position on us-west came from a MirrorMaker 2 checkpoint. */
  readonly partitionsFromCheckpoints: number;
  readonly partitions: number;
  /** SIGKILL of us-east → first record processed on us-west. */
  readonly consumerRtoMs: number | null;
  /** SIGKILL of us-east → first send acknowledged by us-west. */
  readonly producerRtoMs: number | null;
}

const SOURCE = 'us-east';
const TARGET = 'us-west';
const TOPIC = 'orders';
const GROUP = 'fulfilment';
const PARTITIONS = 3;
const CLIENT_ID = 'example-active-passive';

/**
 * Active-passive disaster recovery on two fresh local clusters: MirrorMaker 2 replicates `orders`
 * from us-east to us-west, a MirrorKit producer writes orders to us-east and a MirrorKit consumer
 * group reads them. Once MM2 has checkpointed the group's position, us-east is SIGKILLed; nobody
 * calls `failover()`. The run then reads what is on us-west and checks that the consumer processed
 * every id there, and that the application never saw a send fail.
 *
 * @returns the figures and checks; it rejects only when the example could not run (or was aborted).
 */
export async function runActivePassive(options: ActivePassiveOptions = {}): Promise<ActivePassiveResult> {
  const startedAt = Date.now();
  const log = progressLog(options.log, startedAt);
  const { signal } = options;
  const teardown = new Teardown(log, signal);
  try {
    log(`starting Kafka clusters ${SOURCE} and ${TARGET} …`);
    const clusters = await startLocalClusters(teardown, [SOURCE, TARGET], signal);
    const [east, west] = clusters as [KafkaCluster, KafkaCluster];
    const eastKafka = localKafka(east, CLIENT_ID);
    const westKafka = localKafka(west, CLIENT_ID);
    // `orders` exists on us-west too: it is where the producer writes once it has failed over.
    for (const kafka of [eastKafka, westKafka]) await createTopic(kafka, TOPIC, PARTITIONS);

    log(`starting MirrorMaker 2: ${SOURCE}->${TARGET}, topic ${TOPIC} …`);
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
    // Tighter than the defaults (1 s probes, 3 failures over 3 s) so the example fails over in ~2 s.
    const health = { intervalMs: 500, probeTimeoutMs: 1000, failureThreshold: 3, minFailureDurationMs: 1500 };
    const consumer = mk.consumer({
      groupId: GROUP,
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
    let failover: FailoverReport | undefined;
    let firstOnTarget: number | null = null;
    const deliveries = new Map<string, number>();
    consumer.on('failover:complete', (report) => {
      failover = report;
      log(
        `consumer: failed over to ${report.to} in ${report.durationMs} ms (${report.reason}); ` +
          `${report.positions.filter((p) => p.basis === 'checkpoint').length} partitions from checkpoints`,
      );
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
        if (cluster === TARGET && firstOnTarget === null) firstOnTarget = Date.now();
        const id = message.key?.toString() ?? '';
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      },
    });

    await producer.connect();
    const perTick = Math.max(1, Math.round((options.ordersPerSecond ?? 200) / 10));
    const acknowledged = new Set<string>();
    let sendFailures = 0;
    let firstAckOnTarget: number | null = null;
    let producing = true;
    let next = 0;
    const produceLoop = (async () => {
      while (producing && !signal?.aborted) {
        const ids = Array.from({ length: perTick }, () => `order-${String(next++).padStart(6, '0')}`);
        try {
          // Awaited like an application would: during failover this send waits, then goes to us-west.
          await producer.send({
            topic: TOPIC,
            acks: -1,
            messages: ids.map((id, i) => ({ key: id, value: JSON.stringify({ id, amount: 10 + i }) })),
          });
          for (const id of ids) acknowledged.add(id);
          if (killedAt > 0 && firstAckOnTarget === null && producer.activeCluster === TARGET)
            firstAckOnTarget = Date.now();
        } catch (error) {
          sendFailures += ids.length;
          log(`send failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    log(`producing ~${perTick * 10} orders/s to ${TOPIC} on ${SOURCE}; group ${GROUP} consumes them`);

    await sleep(options.beforeCrashMs ?? 4000, signal);
    // Wait for MM2 to checkpoint the group on every partition, so the failover has a position to
    // translate (without one it would replay the partition from its start: nothing skipped either).
    const checkpointed = await until(
      async () => {
        const read = await readCheckpoints(westKafka, {
          sourceAlias: SOURCE,
          policy,
          group: GROUP,
          timeoutMs: 5000,
        }).catch(() => null);
        return read?.offsets.filter((o) => o.topic === remoteTopic).length === PARTITIONS;
      },
      30_000,
      signal,
    );
    if (!checkpointed) log('no checkpoint for every partition after 30 s; killing us-east anyway');

    killedAt = Date.now();
    await east.kill();
    log(`SIGKILL ${SOURCE} after ${count(acknowledged.size)} acknowledged orders`);

    await until(() => firstAckOnTarget !== null && failover !== undefined, 60_000, signal);
    await sleep(options.afterFailoverMs ?? 3000, signal);
    producing = false;
    await produceLoop;

    // Ground truth from us-west: what MM2 had copied before the crash, and what was written there.
    const replicated = idsOf(await readTopicToEnd(westKafka, remoteTopic, { timeoutMs: 30_000 }));
    const writtenOnTarget = idsOf(await readTopicToEnd(westKafka, TOPIC, { timeoutMs: 30_000 }));
    const onTarget = new Set([...replicated, ...writtenOnTarget]);
    log(`waiting for the group to process the ${count(onTarget.size)} orders on ${TARGET} …`);
    if (!(await until(() => [...onTarget].every((id) => deliveries.has(id)), 60_000, signal)))
      log('the group did not process every order on us-west within 60 s');

    const skipped = [...onTarget].filter((id) => !deliveries.has(id));
    const bySource = [...acknowledged].filter((id) => !writtenOnTarget.has(id));
    let duplicates = 0;
    for (const n of deliveries.values()) duplicates += n - 1;
    const partitionsFromCheckpoints =
      failover?.positions.filter((p) => p.topic === remoteTopic && p.basis === 'checkpoint').length ?? 0;
    const checks: Check[] = [
      { name: 'the consumer failed over to us-west by itself', ok: failover?.to === TARGET },
      {
        name: 'its position came from MirrorMaker 2 checkpoints',
        ok: partitionsFromCheckpoints === PARTITIONS,
      },
      { name: 'the producer failed over to us-west by itself', ok: firstAckOnTarget !== null },
      { name: 'no send failed for the application', ok: sendFailures === 0 },
      { name: 'no order on us-west was skipped', ok: skipped.length === 0 },
    ];
    return {
      passed: checks.every((c) => c.ok),
      checks,
      acknowledged: {
        total: acknowledged.size,
        bySource: bySource.length,
        byTarget: acknowledged.size - bySource.length,
      },
      replicated: replicated.size,
      lostWithSource: bySource.filter((id) => !replicated.has(id)).length,
      onTarget: onTarget.size,
      consumed: deliveries.size,
      skipped: skipped.length,
      skippedExamples: skipped.slice(0, 5),
      duplicates,
      sendFailures,
      partitionsFromCheckpoints,
      partitions: PARTITIONS,
      consumerRtoMs: firstOnTarget === null ? null : firstOnTarget - killedAt,
      producerRtoMs: firstAckOnTarget === null ? null : firstAckOnTarget - killedAt,
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
  const a = result.acknowledged;
  const row = (label: string, value: string, note: string): string =>
    `  ${label.padEnd(20)}${value.padStart(8)}  ${note}`;
  return [
    `Active-passive: ${SOURCE} → ${TARGET}, topic ${TOPIC}, group ${GROUP} (MirrorMaker 2, DefaultReplicationPolicy)`,
    '',
    row(
      'acknowledged',
      count(a.total),
      `${count(a.bySource)} by ${SOURCE}, ${count(a.byTarget)} by ${TARGET} after failover`,
    ),
    row('replicated', count(result.replicated), `in ${SOURCE}.${TOPIC} on ${TARGET} when ${SOURCE} died`),
    row(
      'lost with us-east',
      count(result.lostWithSource),
      'acknowledged by us-east, not yet replicated (the RPO)',
    ),
    row('on us-west', count(result.onTarget), 'replicated or written there: all must be consumed'),
    row('consumed', count(result.consumed), 'distinct order ids'),
    row(
      'skipped',
      count(result.skipped),
      `ids on ${TARGET} never consumed${result.skipped ? ` (${result.skippedExamples.join(', ')})` : ''}`,
    ),
    row('duplicates', count(result.duplicates), 'delivered again: between the last checkpoint and the crash'),
    row('send failures', count(result.sendFailures), 'seen by the application'),
    row(
      'from checkpoints',
      `${result.partitionsFromCheckpoints}/${result.partitions}`,
      'partitions whose position MM2 translated',
    ),
    row('consumer RTO', duration(result.consumerRtoMs), 'SIGKILL → first order processed on us-west'),
    row('producer RTO', duration(result.producerRtoMs), 'SIGKILL → first send acknowledged by us-west'),
    '',
    formatVerdict(result),
  ].join('\n');
}
