import { type ClusterHealth, type FailoverReport, MirrorKit } from '@mirrorkit/client';
import {
  createTopicsAndWait,
  DefaultReplicationPolicy,
  readCheckpoints,
  readTopicToEnd,
  regionKey,
} from '@mirrorkit/core';
import {
  type KafkaCluster,
  type MirrorMakerProcess,
  mirrorMakerTestProperties,
  startClusters,
  startMirrorMaker,
} from '@mirrorkit/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { accountDrill } from './drill-accounting.js';
import type { DrillReport } from './drill-report.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Progress lines go here. */
  log: (line: string) => void;
  /** Called with a function that tears everything down, as soon as there is something to tear down. */
  onCleanup: (cleanup: () => Promise<void>) => void;
  /** How long the producer writes to us-east before the crash. Default 6 s. */
  beforeCrashMs?: number;
  /** How long it keeps writing after it has failed over to us-west. Default 4 s. */
  afterFailoverMs?: number;
  /** Records per second the producer aims for. Default 500. */
  recordsPerSecond?: number;
}

const SOURCE = 'us-east';
const TARGET = 'us-west';
const TOPIC = 'orders';
const GROUP = 'billing';
const PARTITIONS = 3;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(100);
  }
  return false;
}

/**
 * The failover drill on a fresh local pair of clusters: start us-east and us-west, replicate
 * `orders` with real MirrorMaker 2, produce and consume on us-east, SIGKILL us-east, let the
 * MirrorKit consumer and producer fail over to us-west by themselves, and account for every record.
 */
export async function runDemo(options: DemoOptions): Promise<DrillReport> {
  const t0 = Date.now();
  const log = (line: string): void =>
    options.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  const beforeCrashMs = options.beforeCrashMs ?? 6000;
  const afterFailoverMs = options.afterFailoverMs ?? 4000;
  const perTick = Math.max(1, Math.round((options.recordsPerSecond ?? 500) / 20));

  let clusters: KafkaCluster[] = [];
  let mm2: MirrorMakerProcess | undefined;
  let closed = false;
  const closers: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const close of closers.reverse())
      await close().catch((error: unknown) =>
        log(`cleanup: ${error instanceof Error ? error.message : String(error)}`),
      );
    // us-east is gone, so MM2 has nothing left to flush; a graceful stop would only wait on it.
    await mm2?.kill().catch(() => undefined);
    await Promise.all(clusters.map((c) => c.stop().catch(() => undefined)));
  };
  options.onCleanup(cleanup);
  const timed = async (what: string, fn: () => Promise<void>): Promise<void> => {
    const started = Date.now();
    await fn();
    log(`${what} took ${Date.now() - started} ms`);
  };

  try {
    log(`starting Kafka clusters ${SOURCE} and ${TARGET} (KRaft, loopback)…`);
    clusters = await startClusters([SOURCE, TARGET]);
    const [east, west] = clusters as [KafkaCluster, KafkaCluster];
    log(`Kafka ${east.version}: ${SOURCE}=${east.bootstrapServers} ${TARGET}=${west.bootstrapServers}`);
    const quiet = (bootstrap: string): Kafka =>
      new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const eastKafka = quiet(east.bootstrapServers);
    const westKafka = quiet(west.bootstrapServers);
    for (const kafka of [eastKafka, westKafka]) {
      const admin = kafka.admin();
      await admin.connect();
      await createTopicsAndWait(admin, {
        topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
      });
      await admin.disconnect();
    }

    log(`starting MirrorMaker 2 (${SOURCE}->${TARGET}, topic ${TOPIC}, DefaultReplicationPolicy)…`);
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [SOURCE]: east.bootstrapServers, [TARGET]: west.bootstrapServers },
        flows: [`${SOURCE}->${TARGET}`],
        extra: { [`${SOURCE}->${TARGET}.topics`]: TOPIC, 'offset.lag.max': '10' },
      }),
    });
    const policy = new DefaultReplicationPolicy();
    const remoteTopic = policy.formatRemoteTopic(SOURCE, TOPIC);

    const mk = new MirrorKit({
      clusters: {
        [SOURCE]: { brokers: [east.bootstrapServers] },
        [TARGET]: { brokers: [west.bootstrapServers] },
      },
      activeCluster: SOURCE,
      policy,
      logLevel: logLevel.NOTHING,
    });
    // Probe twice a second; three failures spanning 1.5 s mean "down".
    const health = {
      intervalMs: 500,
      probeTimeoutMs: 1000,
      failureThreshold: 3,
      minFailureDurationMs: 1500,
      heartbeatIntervalMs: 1000,
    };
    const consumer = mk.consumer({
      groupId: GROUP,
      automaticFailover: true,
      health,
      metadataRefreshMs: 2000,
      // Short fetch waits: a stop (failover, disconnect) waits for the fetch in flight.
      kafkajs: { maxWaitTimeInMs: 500 },
    });
    const producer = mk.producer({ automaticFailover: true, health, topicAfterFailover: 'logical' });
    closers.push(
      () => timed('producer disconnect', () => producer.disconnect()),
      () => timed('consumer disconnect', () => consumer.disconnect()),
    );

    const deliveries = new Map<string, number>();
    const processed: Record<string, number> = { [SOURCE]: 0, [TARGET]: 0 };
    let killedAt = 0;
    let firstOnTarget = 0;
    let failoverStartedAt = 0;
    let lastHeartbeatAge: number | null = null;
    let report: FailoverReport | undefined;
    consumer.on('failover:start', () => {
      failoverStartedAt = Date.now();
      log(`consumer: ${SOURCE} unreachable long enough, failing over to ${TARGET}…`);
    });
    consumer.on('failover:complete', (r) => {
      report = r;
      const moved = r.positions.filter((p) => p.basis === 'checkpoint').length;
      log(`consumer: failed over in ${r.durationMs} ms (${moved} partitions translated through checkpoints)`);
    });
    consumer.on('health', (h: ClusterHealth) => {
      const age = h.alias === TARGET ? h.heartbeatAgeMs[SOURCE] : undefined;
      if (age !== undefined && killedAt === 0) lastHeartbeatAge = age;
    });
    producer.on('failover:complete', (info) =>
      log(
        `producer: failed over in ${info.durationMs} ms, ${info.flushed} queued records delivered to ${TARGET}`,
      ),
    );
    await consumer.subscribe({ topics: [TOPIC], remote: true, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, cluster }) => {
        const id = message.key?.toString() ?? '';
        if (cluster === TARGET && firstOnTarget === 0 && killedAt > 0) firstOnTarget = Date.now();
        processed[cluster] = (processed[cluster] ?? 0) + 1;
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      },
    });
    await producer.connect();

    let sequence = 0;
    let producerErrors = 0;
    let firstAckOnTarget = 0;
    // Acknowledged ids and when each was created, for the RPO.
    const acked = new Map<string, number>();
    const inFlight = new Set<Promise<void>>();
    let producing = true;
    const produceLoop = (async () => {
      while (producing) {
        const createdAt = Date.now();
        const ids = Array.from({ length: perTick }, () =>
          regionKey(producer.activeCluster, `order-${sequence++}`),
        );
        const sending = producer
          .send({
            topic: TOPIC,
            acks: -1,
            messages: ids.map((key, i) => ({ key, value: JSON.stringify({ amount: i, createdAt }) })),
          })
          .then(() => {
            for (const id of ids) acked.set(id, createdAt);
            if (killedAt > 0 && producer.activeCluster === TARGET && firstAckOnTarget === 0)
              firstAckOnTarget = Date.now();
          })
          .catch(() => {
            producerErrors += ids.length;
          });
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
        await sleep(50);
      }
    })();

    log(
      `producing ~${perTick * 20} records/s to ${TOPIC} on ${SOURCE}; group ${GROUP} consumes ${TOPIC} and every remote *.${TOPIC}`,
    );
    await sleep(beforeCrashMs);
    // A drill starts from a steady state: MM2 has checkpointed the group on every partition. On a
    // busy machine MM2 can take longer to find the group than the fixed run-up; killing earlier
    // would measure a replay from the beginning, not a failover.
    const checkpointed = async (): Promise<boolean> => {
      const read = await readCheckpoints(westKafka, {
        sourceAlias: SOURCE,
        policy,
        group: GROUP,
        timeoutMs: 10_000,
      }).catch(() => null);
      return (
        new Set(read?.offsets.filter((o) => o.topic === remoteTopic).map((o) => o.partition)).size ===
        PARTITIONS
      );
    };
    if (!(await checkpointed())) {
      log(`waiting for MirrorMaker 2 to checkpoint group ${GROUP} on every partition…`);
      const deadline = Date.now() + 90_000;
      while (!(await checkpointed()) && Date.now() < deadline) await sleep(500);
    }
    killedAt = Date.now();
    await east.kill();
    log(`SIGKILL ${SOURCE} after ${acked.size} acknowledged records`);

    await until(() => producer.activeCluster === TARGET && firstAckOnTarget > 0, 60_000);
    await sleep(afterFailoverMs);
    producing = false;
    await produceLoop;
    await Promise.all([...inFlight]);
    log(`producer stopped: ${acked.size} records acknowledged, ${producerErrors} failed`);

    // Ground truth from the DR cluster: what MM2 had replicated, and what was written there.
    const replicated = new Set(
      (await readTopicToEnd(westKafka, remoteTopic, { timeoutMs: 30_000 })).map(idOf),
    );
    const ackedOnTarget = new Set((await readTopicToEnd(westKafka, TOPIC, { timeoutMs: 30_000 })).map(idOf));
    const ackedOnSource = new Set([...acked.keys()].filter((id) => !ackedOnTarget.has(id)));
    const mustSee = [...replicated, ...ackedOnTarget];
    log(`waiting for the consumer to process the ${mustSee.length} records on ${TARGET}…`);
    if (!(await until(() => mustSee.every((id) => deliveries.has(id)), 60_000)))
      log('the consumer did not process everything within 60 s');
    log('consumer caught up');
    const accounting = accountDrill({ ackedOnSource, replicated, ackedOnTarget, deliveries });
    let oldestLost = killedAt;
    for (const id of ackedOnSource)
      if (!replicated.has(id)) oldestLost = Math.min(oldestLost, acked.get(id) ?? killedAt);

    const failover = report;
    return {
      source: SOURCE,
      target: TARGET,
      topic: TOPIC,
      groupId: GROUP,
      policy: 'DefaultReplicationPolicy',
      accounting,
      ackedOnSource: ackedOnSource.size,
      ackedOnTarget: ackedOnTarget.size,
      processedOnSource: processed[SOURCE] ?? 0,
      processedOnTarget: processed[TARGET] ?? 0,
      rpoMs: killedAt - oldestLost,
      heartbeatAgeMs: lastHeartbeatAge,
      consumerRtoMs: firstOnTarget > 0 ? firstOnTarget - killedAt : Number.NaN,
      detectionMs: failoverStartedAt > 0 ? failoverStartedAt - killedAt : Number.NaN,
      failoverMs: failover?.durationMs ?? Number.NaN,
      failoverSteps: failover?.steps ?? {},
      partitionsWithoutCheckpoint: failover?.partitionsWithoutCheckpoint ?? 0,
      producerRtoMs: firstAckOnTarget > 0 ? firstAckOnTarget - killedAt : Number.NaN,
      producerErrors,
    };
  } finally {
    const stopping = Date.now();
    await cleanup();
    log(`stopped MirrorMaker 2 and both clusters in ${Date.now() - stopping} ms`);
  }
}

function idOf(record: { key: Buffer | null }): string {
  return record.key?.toString() ?? '';
}
