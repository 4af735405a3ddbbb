import { newestHeartbeat } from '@mirrorkit/core';
import { EventEmitter } from 'eventemitter3';
import { type Admin, Kafka } from 'kafkajs';
import type { ClusterConnection, ResolvedConfig } from './client-config.js';
import type { ClusterHealth } from './client-events.js';
import { firstLine, raceDeadline } from './deadline.js';
import {
  type GuardInput,
  type HeartbeatTrack,
  heartbeatEvidence,
  recordHeartbeatRead,
  silentEnoughAtMs,
  UNREAD_TRACK,
} from './split-brain-guard.js';

/** When a cluster counts as down. Defaults are chosen so one slow call never flips regions. */
export interface HealthMonitorOptions {
  /** Time between reachability probes of each cluster. Default 1000 ms. */
  intervalMs?: number;
  /** A probe slower than this fails. Default 2000 ms. */
  probeTimeoutMs?: number;
  /** Consecutive failed probes before a cluster is unhealthy. Default 3. */
  failureThreshold?: number;
  /**
   * ...and the failures must span at least this long, from the start of the first failed probe to
   * the moment the latest failure is known. Default 3000 ms.
   */
  minFailureDurationMs?: number;
  /**
   * Time between reads of MM2 heartbeats (the replication lag in `heartbeatAgeMs`); 0 disables
   * these periodic reads. Default 5000 ms. The reads of a consumer's split-brain guard, made
   * while a cluster's probes fail, do not depend on it (see
   * {@link HealthMonitor.watchHeartbeatsDuringOutages}).
   */
  heartbeatIntervalMs?: number;
}

/** Events of a {@link HealthMonitor}. */
export interface HealthMonitorEvents {
  /** After every probe of a cluster, and every heartbeat read that found heartbeats on it. */
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
  /** Heartbeats of each source read on this cluster, and the sources whose read is in flight. */
  beats: Map<string, HeartbeatTrack>;
  beatReads: Set<string>;
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
  #outageReads = false;
  /** Reads of one flow scheduled for the moment its silence would be long enough, by flow. */
  readonly #silenceReads = new Map<string, NodeJS.Timeout>();

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
        beats: new Map(),
        beatReads: new Set(),
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

  /**
   * From now on, every failed probe of a cluster (while the monitor runs) is followed by a read of
   * its replicated heartbeats on every other reachable cluster, whatever `heartbeatIntervalMs`
   * says: a split-brain guard must judge from readings taken during the outage, and as often as
   * the probes, so that waiting for heartbeat silence adds no more than a probe round.
   */
  watchHeartbeatsDuringOutages(): void {
    this.#outageReads = true;
  }

  /**
   * What the heartbeats from `source` read on `target` say about `source`'s current outage: the
   * split-brain guard's inputs (see {@link GuardInput}).
   */
  heartbeatEvidence(
    source: string,
    target: string,
  ): Pick<GuardInput, 'heartbeatAgeMs' | 'sinceArrivalMs' | 'heartbeatsSeen'> {
    this.#config.requireAlias(source, 'source');
    this.#config.requireAlias(target, 'target');
    const track = (this.#states.get(target) as ClusterState).beats.get(source) ?? UNREAD_TRACK;
    return heartbeatEvidence(track, (this.#states.get(source) as ClusterState).health.failingSinceMs);
  }

  /**
   * Reads the heartbeats of `source` on `target` once more at the moment they would have been
   * silent for `silenceMs` (if none arrives meanwhile), so that a held failover goes then rather
   * than at the next probe round, up to `intervalMs` later. One pending read per flow; only while
   * the monitor runs. Returns that moment (this client's clock), or null when no heartbeat from
   * `source` was ever seen on `target`.
   */
  readHeartbeatsWhenSilent(source: string, target: string, silenceMs: number): number | null {
    const key = `${source}\u0000${target}`;
    const track = (this.#states.get(target) as ClusterState).beats.get(source) ?? UNREAD_TRACK;
    const failingSinceMs = (this.#states.get(source) as ClusterState).health.failingSinceMs;
    const at = silentEnoughAtMs(track, failingSinceMs, silenceMs);
    if (at === null || this.#timers.length === 0 || this.#silenceReads.has(key)) return at;
    const timer = setTimeout(
      () => {
        this.#silenceReads.delete(key);
        void this.#readHeartbeat(source, target);
      },
      // A read that begins a moment late is still a read that proves the whole silence.
      Math.max(0, at - Date.now()) + 5,
    );
    timer.unref();
    this.#silenceReads.set(key, timer);
    return at;
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
    for (const timer of this.#silenceReads.values()) clearTimeout(timer);
    this.#silenceReads.clear();
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
      // The span runs to the moment this failure is known, not to when its probe began: a probe
      // that timed out proves the cluster silent for its whole timeout. Counting from its start
      // made a blackholed cluster (every probe a timeout) wait one more probe than a refusing one.
      const past =
        state.health.consecutiveFailures >= this.#options.failureThreshold &&
        Date.now() - failingSinceMs >= this.#options.minFailureDurationMs;
      if (past && !state.unhealthy) {
        state.unhealthy = true;
        this.emit('unhealthy', state.health);
      }
      if (this.#outageReads && this.#timers.length > 0) void this.#readHeartbeatsFrom(alias);
    } finally {
      state.probing = false;
    }
    return state.health;
  }

  /** Reads the newest replicated MM2 heartbeat per flow into every reachable cluster. */
  async readHeartbeats(): Promise<void> {
    for (const target of this.#config.aliases) {
      for (const source of this.#config.aliases) {
        if (source !== target) await this.#readHeartbeat(source, target);
      }
    }
  }

  /** Reads the heartbeats of `source` on every other reachable cluster, in parallel. */
  async #readHeartbeatsFrom(source: string): Promise<void> {
    await Promise.all(
      this.#config.aliases
        .filter((target) => target !== source)
        .map((target) => this.#readHeartbeat(source, target)),
    );
  }

  /**
   * Reads the newest heartbeat from `source` on `target`, folds it into what is known about that
   * flow and reports `target`'s health with the new age. A failed read changes nothing: the guard
   * then has no reading from this moment, which is what it should decide from.
   */
  async #readHeartbeat(source: string, target: string): Promise<void> {
    const state = this.#states.get(target) as ClusterState;
    // One read per flow at a time: the periodic and the outage reads would otherwise race, and
    // an older read finishing last would roll the flow's history back.
    if (!state.health.reachable || state.beatReads.has(source)) return;
    state.beatReads.add(source);
    try {
      const policy = this.#config.policy;
      // Measured from when the read began: what the read itself takes is not replication lag.
      const startedAtMs = Date.now();
      const newest = await newestHeartbeat(
        this.#config.kafka(target),
        policy.formatRemoteTopic(source, policy.heartbeatsTopic()),
        source,
      ).catch(() => undefined);
      if (newest === undefined) return;
      const track = recordHeartbeatRead(state.beats.get(source) ?? UNREAD_TRACK, {
        startedAtMs,
        endedAtMs: Date.now(),
        newestMs: newest === null ? null : Number(newest),
        failingSinceMs: (this.#states.get(source) as ClusterState).health.failingSinceMs,
      });
      state.beats.set(source, track);
      if (track.newestMs === null) return;
      state.health = {
        ...state.health,
        heartbeatAgeMs: {
          ...state.health.heartbeatAgeMs,
          [source]: Math.max(0, startedAtMs - track.newestMs),
        },
      };
      this.emit('health', state.health);
    } finally {
      state.beatReads.delete(source);
    }
  }
}
