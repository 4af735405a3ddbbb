import {
  encodeHeartbeat,
  ensureInternalTopic,
  javaParseBoolean,
  MirrorKitConfigError,
  type MirrorMakerConfig,
  type ReplicationPolicy,
} from '@mirrorkit/core';
import type { Kafka, Producer } from 'kafkajs';
import { FlowScheduler } from './flow/flow-scheduler.js';
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
 * The pairs MM2 beats for (`MirrorMakerConfig.clusterPairs`): every ordered pair of clusters,
 * enabled or not, unless `emit.heartbeats.enabled` (global, or `A->B.` for the pair) is false.
 * The disabled pairs matter: in active-passive `us-east->us-west`, the beats of `us-west->us-east`
 * are what fills us-east's `heartbeats` topic, which the enabled flow copies to us-west as
 * `us-east.heartbeats`. A pair's settings are what MM2 gives its heartbeat connector: `A->B.key`
 * over `key` over the default, so a pair the file does not name takes the global values, never
 * another flow's overrides.
 */
export function heartbeatPairs(mm2: MirrorMakerConfig): HeartbeatPair[] {
  const pairs: HeartbeatPair[] = [];
  for (const source of mm2.clusters) {
    for (const target of mm2.clusters) {
      if (source === target) continue;
      const flow = mm2.allFlows.find((f) => f.source === source && f.target === target);
      if (flow) {
        if (flow.emitHeartbeats.enabled)
          pairs.push({
            source,
            target,
            intervalSeconds: flow.emitHeartbeats.intervalSeconds,
            replicationFactor: flow.heartbeatsTopicReplicationFactor,
          });
        continue;
      }
      const setting = pairSetting(mm2, `${source}->${target}.`);
      if (setting.bool('emit.heartbeats.enabled', true))
        pairs.push({
          source,
          target,
          intervalSeconds: setting.int('emit.heartbeats.interval.seconds', 1, 0),
          replicationFactor: setting.int('heartbeats.topic.replication.factor', 3, -1),
        });
    }
  }
  return pairs;
}

/** Reads a setting of a pair the parser did not resolve, validated as the parser validates flows. */
function pairSetting(
  mm2: MirrorMakerConfig,
  prefix: string,
): {
  bool(key: string, fallback: boolean): boolean;
  int(key: string, fallback: number, min: number): number;
} {
  const lookup = (key: string): { name: string; raw: string } | null => {
    for (const name of [`${prefix}${key}`, key]) {
      const raw = mm2.properties.get(name);
      if (raw !== undefined) return { name, raw: raw.trim() };
    }
    return null;
  };
  const where = (name: string): { key: string; line?: number } => {
    const line = mm2.lines.get(name);
    return line === undefined ? { key: name } : { key: name, line };
  };
  return {
    bool(key, fallback) {
      const found = lookup(key);
      if (!found) return fallback;
      // MM2's clusterPairs reads these with Boolean.parseBoolean: true only for exactly `true`,
      // anything else (`true # on`, `yes`) is false and never refused; the parser's notes warn.
      return javaParseBoolean(mm2.properties.get(found.name));
    },
    int(key, fallback, min) {
      const found = lookup(key);
      if (!found) return fallback;
      const value = Number(found.raw);
      if (/^-?\d+$/.test(found.raw) && Number.isSafeInteger(value) && value >= min) return value;
      throw new MirrorKitConfigError(
        'CONFIG_INVALID_VALUE',
        `${found.name} must be an integer >= ${min}, got "${found.raw}"`,
        where(found.name),
      );
    },
  };
}

/**
 * Emits MM2 heartbeats into each target cluster's `heartbeats` topic, for every cluster pair as
 * MM2 does (disabled flows included): replicated downstream by the source flows, they are how a
 * cluster learns its upstreams and how clients measure replication lag.
 */
export class HeartbeatEmitter {
  // The flows' timer set: each beat's timer is dropped as it fires, and stop() clears the rest.
  readonly #scheduler = new FlowScheduler(() => undefined);
  /** Per target cluster: its producer (and the connect in progress), and its heartbeats topic, ensured. */
  readonly #producers = new Map<string, { producer: Producer; connected: Promise<Producer> }>();
  readonly #topics = new Map<string, Promise<void>>();

  constructor(
    private readonly pairs: readonly HeartbeatPair[],
    private readonly kafkaOf: (alias: string) => Kafka,
    private readonly policy: ReplicationPolicy,
    private readonly metrics: ReplicatorMetrics,
    private readonly log: ReplicatorLogger,
  ) {}

  /**
   * Creates the heartbeats topic on cluster `alias` if it is missing, as MM2's heartbeat connector
   * does when it starts (one partition, compacted, the pair's `heartbeats.topic.replication.factor`).
   * Nothing when no pair beats into `alias`: nothing would ever write the topic. Callers at the
   * same time share one attempt; after a failure the next call tries again.
   */
  ensureTopic(alias: string): Promise<void> {
    const pair = this.pairs.find((p) => p.target === alias);
    if (!pair) return Promise.resolve();
    const known = this.#topics.get(alias);
    if (known) return known;
    const ensuring = this.#createTopic(alias, pair.replicationFactor);
    this.#topics.set(alias, ensuring);
    ensuring.catch(() => {
      if (this.#topics.get(alias) === ensuring) this.#topics.delete(alias);
    });
    return ensuring;
  }

  /** Starts every pair's beat at once (the first beat creates the topic if need be), then every interval. */
  async start(): Promise<void> {
    for (const pair of this.pairs) this.#beat(pair, 0);
  }

  async stop(): Promise<void> {
    this.#scheduler.stop();
    // Not waiting for beats in flight: against a cluster that is down they wait out kafkajs's
    // retries. Their sends fail on the disconnected producers and are not reported.
    await Promise.all(
      [...this.#producers.values()].map(({ producer }) => producer.disconnect().catch(() => undefined)),
    );
  }

  async #createTopic(alias: string, replicationFactor: number): Promise<void> {
    const admin = this.kafkaOf(alias).admin();
    await admin.connect();
    try {
      const topic = this.policy.heartbeatsTopic();
      if (!(await ensureInternalTopic(admin, topic, replicationFactor))) return;
      this.log.info('created heartbeats topic', { cluster: alias, topic });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  #producer(alias: string): Promise<Producer> {
    const known = this.#producers.get(alias);
    if (known) return known.connected;
    const producer = this.kafkaOf(alias).producer();
    const connected = producer.connect().then(() => producer);
    this.#producers.set(alias, { producer, connected });
    connected.catch(() => {
      if (this.#producers.get(alias)?.connected === connected) this.#producers.delete(alias);
    });
    return connected;
  }

  #beat(pair: HeartbeatPair, lastBeat: number): void {
    const flow = `${pair.source}->${pair.target}`;
    void (async (): Promise<void> => {
      let beatAt = lastBeat;
      try {
        await this.ensureTopic(pair.target);
        if (this.#scheduler.stopped) return;
        const producer = await this.#producer(pair.target);
        if (this.#scheduler.stopped) return;
        const now = Date.now();
        await producer.send({
          topic: this.policy.heartbeatsTopic(),
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
        beatAt = now;
        this.metrics.inc('mirrorkit_replicator_heartbeats_total', { flow });
      } catch (error) {
        if (this.#scheduler.stopped) return;
        this.metrics.inc('mirrorkit_replicator_errors_total', { flow, kind: 'heartbeat' });
        this.log.warn('heartbeat failed; retrying', {
          source: pair.source,
          target: pair.target,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      if (beatAt > 0)
        this.metrics.set(
          'mirrorkit_replicator_heartbeat_age_seconds',
          { flow },
          (Date.now() - beatAt) / 1000,
        );
      this.#scheduler.after(pair.intervalSeconds * 1000, () => this.#beat(pair, beatAt));
    })();
  }
}
