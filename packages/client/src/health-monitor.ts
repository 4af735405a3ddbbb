import { decodeHeartbeat, MirrorKitCodecError, readTopicToEnd } from '@mirrorkit/core';
import { EventEmitter } from 'eventemitter3';
import { type Admin, Kafka } from 'kafkajs';
import type { ClusterConnection, ResolvedConfig } from './client-config.js';
import type { ClusterHealth } from './client-events.js';
import { firstLine, raceDeadline } from './deadline.js';

/** When a cluster counts as down. Defaults are chosen so one slow call never flips regions. */
export interface HealthMonitorOptions {
  /** Time between reachability probes of each cluster. Default 1000 ms. */
  intervalMs?: number;
  /** A probe slower than this fails. Default 2000 ms. */
  probeTimeoutMs?: number;
  /** Consecutive failed probes before a cluster is unhealthy. Default 3. */
  failureThreshold?: number;
  /** ...and the failures must span at least this long. Default 3000 ms. */
  minFailureDurationMs?: number;
  /** Time between reads of MM2 heartbeats; 0 disables them. Default 5000 ms. */
  heartbeatIntervalMs?: number;
}

/** Events of a {@link HealthMonitor}. */
export interface HealthMonitorEvents {
  health: [health: ClusterHealth];
  /** A cluster crossed the failure threshold (emitted once per outage). */
  unhealthy: [health: ClusterHealth];
  /** A cluster that was unhealthy answered again. */
  recovered: [health: ClusterHealth];
}

interface ClusterState {
  health: ClusterHealth;
  admin: Admin | null;
  unhealthy: boolean;
  probing: boolean;
}

/**
 * Watches every configured cluster with real signals: an admin `describeCluster` call with a
 * timeout (reachability), and the age of the newest MM2 heartbeat replicated into each cluster
 * (replication lag). A cluster becomes unhealthy only after `failureThreshold` consecutive failed
 * probes spanning at least `minFailureDurationMs`.
 */
export class HealthMonitor extends EventEmitter<HealthMonitorEvents> {
  readonly #config: ResolvedConfig;
  readonly #options: Required<HealthMonitorOptions>;
  readonly #connections: Readonly<Record<string, ClusterConnection>>;
  readonly #states = new Map<string, ClusterState>();
  #timers: NodeJS.Timeout[] = [];

  constructor(
    config: ResolvedConfig,
    connections: Readonly<Record<string, ClusterConnection>>,
    options: HealthMonitorOptions = {},
  ) {
    super();
    this.#config = config;
    this.#connections = connections;
    this.#options = {
      intervalMs: options.intervalMs ?? 1000,
      probeTimeoutMs: options.probeTimeoutMs ?? 2000,
      failureThreshold: options.failureThreshold ?? 3,
      minFailureDurationMs: options.minFailureDurationMs ?? 3000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
    };
    for (const alias of config.aliases) {
      this.#states.set(alias, {
        health: {
          alias,
          reachable: true,
          consecutiveFailures: 0,
          failingSinceMs: null,
          lastError: null,
          heartbeatAgeMs: {},
          checkedAtMs: 0,
        },
        admin: null,
        unhealthy: false,
        probing: false,
      });
    }
  }

  /** The latest known health of `alias`. */
  health(alias: string): ClusterHealth {
    this.#config.requireAlias(alias, 'alias');
    return (this.#states.get(alias) as ClusterState).health;
  }

  /** True while `alias` is past the failure threshold. */
  isUnhealthy(alias: string): boolean {
    return this.#states.get(alias)?.unhealthy ?? false;
  }

  /** Starts periodic probes of every cluster. */
  start(): void {
    if (this.#timers.length > 0) return;
    for (const alias of this.#config.aliases) {
      const probe = setInterval(() => void this.probe(alias), this.#options.intervalMs);
      probe.unref();
      this.#timers.push(probe);
      void this.probe(alias);
    }
    if (this.#options.heartbeatIntervalMs > 0) {
      const beat = setInterval(() => void this.readHeartbeats(), this.#options.heartbeatIntervalMs);
      beat.unref();
      this.#timers.push(beat);
      void this.readHeartbeats();
    }
  }

  /** Stops probing and closes the probe connections. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await Promise.all(
      [...this.#states.values()].map(async (state) => {
        const admin = state.admin;
        state.admin = null;
        await admin?.disconnect().catch(() => undefined);
      }),
    );
  }

  #probeAdmin(alias: string): Admin {
    const state = this.#states.get(alias) as ClusterState;
    if (!state.admin) {
      const connection = this.#connections[alias] as ClusterConnection;
      // A dedicated client with no retries: the monitor wants the truth about this instant, and
      // its own threshold does the smoothing that kafkajs's retries would otherwise hide.
      const kafka = new Kafka({
        ...connection,
        clientId: `${this.#config.clientId}-health-${alias}`,
        connectionTimeout: Math.min(this.#options.probeTimeoutMs, connection.connectionTimeout ?? 1000),
        requestTimeout: this.#options.probeTimeoutMs,
        retry: { retries: 0 },
        logLevel: 0,
      });
      state.admin = kafka.admin({ retry: { retries: 0 } });
    }
    return state.admin;
  }

  /** Probes `alias` once now and updates its health. */
  async probe(alias: string): Promise<ClusterHealth> {
    const state = this.#states.get(alias);
    if (!state) throw new Error(`unknown alias ${alias}`);
    if (state.probing) return state.health;
    state.probing = true;
    const now = Date.now();
    try {
      const admin = this.#probeAdmin(alias);
      const timeoutMs = this.#options.probeTimeoutMs;
      await raceDeadline(
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
        timeoutMs,
        () => {
          throw new Error(`probe of ${alias} timed out after ${timeoutMs} ms`);
        },
      );
      const wasUnhealthy = state.unhealthy;
      state.unhealthy = false;
      state.health = {
        ...state.health,
        reachable: true,
        consecutiveFailures: 0,
        failingSinceMs: null,
        lastError: null,
        checkedAtMs: now,
      };
      this.emit('health', state.health);
      if (wasUnhealthy) this.emit('recovered', state.health);
    } catch (error) {
      const admin = state.admin;
      state.admin = null;
      void admin?.disconnect().catch(() => undefined);
      const failingSinceMs = state.health.failingSinceMs ?? now;
      state.health = {
        ...state.health,
        reachable: false,
        consecutiveFailures: state.health.consecutiveFailures + 1,
        failingSinceMs,
        lastError: firstLine(error),
        checkedAtMs: now,
      };
      this.emit('health', state.health);
      const past =
        state.health.consecutiveFailures >= this.#options.failureThreshold &&
        now - failingSinceMs >= this.#options.minFailureDurationMs;
      if (past && !state.unhealthy) {
        state.unhealthy = true;
        this.emit('unhealthy', state.health);
      }
    } finally {
      state.probing = false;
    }
    return state.health;
  }

  /** Reads the newest replicated MM2 heartbeat per flow into every reachable cluster. */
  async readHeartbeats(): Promise<void> {
    const policy = this.#config.policy;
    for (const target of this.#config.aliases) {
      const state = this.#states.get(target) as ClusterState;
      if (!state.health.reachable) continue;
      const ages: Record<string, number> = { ...state.health.heartbeatAgeMs };
      for (const source of this.#config.aliases) {
        if (source === target) continue;
        // Measured from when the read began: what the read itself takes is not replication lag.
        const readAt = Date.now();
        const newest = await newestHeartbeat(
          this.#config.kafka(target),
          policy.formatRemoteTopic(source, policy.heartbeatsTopic()),
          source,
        ).catch(() => null);
        if (newest !== null) ages[source] = Math.max(0, readAt - Number(newest));
      }
      state.health = { ...state.health, heartbeatAgeMs: ages };
    }
  }
}

/**
 * The timestamp of the newest heartbeat that MM2 wrote into cluster `source` and replicated into
 * `topic` (the remote heartbeats topic, e.g. `us-east.heartbeats`), reading only the last 20
 * records of each partition. Null when the topic is absent or holds no such heartbeat.
 */
export async function newestHeartbeat(kafka: Kafka, topic: string, source: string): Promise<bigint | null> {
  const admin = kafka.admin();
  await admin.connect();
  let starts: Map<number, bigint>;
  try {
    // An absent topic (no flow from `source`) is an answer, not something to retry for seconds.
    if (!(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    starts = new Map(offsets.map((p) => [p.partition, BigInt(p.high) > 20n ? BigInt(p.high) - 20n : 0n]));
  } finally {
    await admin.disconnect();
  }
  let newest: bigint | null = null;
  for (const record of await readTopicToEnd(kafka, topic, { startOffsets: starts, timeoutMs: 5000 })) {
    if (!record.key || !record.value) continue;
    try {
      const beat = decodeHeartbeat(record.key, record.value);
      // MM2 emits heartbeats *into* every cluster (for every pair, even disabled ones), and the
      // source flow copies that cluster's `heartbeats` downstream. So a heartbeat in
      // `us-east.heartbeats` whose target is us-east has travelled the us-east data path: its age is
      // the replication lag. Its source alias is whichever cluster MM2 emitted it for.
      if (beat.targetClusterAlias === source && (newest === null || beat.timestamp > newest))
        newest = beat.timestamp;
    } catch (error) {
      if (!(error instanceof MirrorKitCodecError)) throw error;
    }
  }
  return newest;
}
