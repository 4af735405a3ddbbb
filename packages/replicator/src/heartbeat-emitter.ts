import { createTopicsAndWait, encodeHeartbeat, type ReplicationPolicy } from '@mirrorkit/core';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { ReplicatorLogger } from './logger.js';
import type { ReplicatorMetrics } from './metrics.js';

/** One heartbeat pair: beats `{ source, target }` are written into the target's heartbeats topic. */
export interface HeartbeatPair {
  readonly source: string;
  readonly target: string;
  readonly intervalSeconds: number;
  readonly replicationFactor: number;
}

/**
 * Emits MM2 heartbeats into each target cluster's `heartbeats` topic, for every cluster pair as
 * MM2 does (disabled flows included): replicated downstream by the source flows, they are how a
 * cluster learns its upstreams and how clients measure replication lag.
 */
export class HeartbeatEmitter {
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #producers: Producer[] = [];
  #stopped = false;

  constructor(
    private readonly pairs: readonly HeartbeatPair[],
    private readonly kafkaOf: (alias: string) => Kafka,
    private readonly policy: ReplicationPolicy,
    private readonly metrics: ReplicatorMetrics,
    private readonly log: ReplicatorLogger,
  ) {}

  async start(): Promise<void> {
    const byTarget = new Map<string, HeartbeatPair[]>();
    for (const pair of this.pairs) byTarget.set(pair.target, [...(byTarget.get(pair.target) ?? []), pair]);
    for (const [target, pairs] of byTarget) {
      const kafka = this.kafkaOf(target);
      const producer = kafka.producer();
      this.#producers.push(producer);
      const topic = this.policy.heartbeatsTopic();
      let ensured = false;
      for (const pair of pairs) {
        let lastBeat = 0;
        const beat = async (): Promise<void> => {
          if (this.#stopped) return;
          try {
            if (!ensured) {
              await producer.connect();
              const admin: Admin = kafka.admin();
              await admin.connect();
              try {
                if (!(await admin.listTopics()).includes(topic))
                  await createTopicsAndWait(admin, {
                    topics: [
                      {
                        topic,
                        numPartitions: 1,
                        replicationFactor: pair.replicationFactor,
                        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
                      },
                    ],
                  });
              } finally {
                await admin.disconnect();
              }
              ensured = true;
            }
            const now = Date.now();
            await producer.send({
              topic,
              acks: -1,
              messages: [
                {
                  ...encodeHeartbeat({
                    sourceClusterAlias: pair.source,
                    targetClusterAlias: pair.target,
                    timestamp: BigInt(now),
                  }),
                  partition: 0,
                },
              ],
            });
            lastBeat = now;
            this.metrics.inc('mirrorkit_replicator_heartbeats_total', {
              flow: `${pair.source}->${pair.target}`,
            });
          } catch (error) {
            this.metrics.inc('mirrorkit_replicator_errors_total', {
              flow: `${pair.source}->${pair.target}`,
              kind: 'heartbeat',
            });
            this.log.warn('heartbeat failed; retrying', {
              source: pair.source,
              target: pair.target,
              error: error instanceof Error ? error.message : String(error),
            });
          }
          if (lastBeat > 0)
            this.metrics.set(
              'mirrorkit_replicator_heartbeat_age_seconds',
              { flow: `${pair.source}->${pair.target}` },
              (Date.now() - lastBeat) / 1000,
            );
          if (!this.#stopped) this.#timers.push(setTimeout(() => void beat(), pair.intervalSeconds * 1000));
        };
        void beat();
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.all(this.#producers.map((p) => p.disconnect().catch(() => undefined)));
  }
}
