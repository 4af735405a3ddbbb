import {
  type CopyProducerSettings,
  copyProducerSettings,
  type FlowConfig,
  parseMirrorMakerProperties,
  unsupportedSettings,
} from '@mirrorkit/core';
import { Kafka, logLevel } from 'kafkajs';
import { FlowReplicator, type FlowReplicatorOptions } from './flow-replicator.js';
import type { FlowStatus } from './flow-status.js';
import { HeartbeatEmitter, heartbeatPairs } from './heartbeat-emitter.js';
import {
  DEFAULT_LIVE_DOWN_BOUND_MS,
  type HttpServer,
  replicatorHealth,
  startHttpServer,
} from './http-server.js';
import { kafkaConnection, type UnsupportedSetting } from './kafka-connection.js';
import { type ReplicatorLogger, silentLogger } from './logger.js';
import { ReplicatorMetrics } from './metrics.js';
import { MirrorKitReplicatorError } from './replicator-error.js';

/** Options of {@link startReplicator}. */
export interface ReplicatorOptions {
  /** The text of an MM2 dedicated-mode `mm2.properties`. */
  readonly properties: string;
  /** Values for `${env:NAME}` placeholders (secrets). Default: none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Prefix of the consumer groups that share partitions between processes. */
  readonly groupIdPrefix?: string;
  /** Port for `/healthz` and `/metrics`; 0 picks a free one; null serves nothing. Default null. */
  readonly httpPort?: number | null;
  /**
   * Address the HTTP server listens on. Default `127.0.0.1` (loopback: nothing is exposed by
   * accident); `0.0.0.0` in a pod, so that probes and Prometheus reach it on the pod IP.
   */
  readonly httpHost?: string;
  /**
   * How long a flow may be down before `/healthz/live` answers 503 so that an orchestrator
   * restarts the process. Default 300,000 ms (5 min): several restarts with backoff first.
   */
  readonly liveDownBoundMs?: number;
  readonly log?: ReplicatorLogger;
}

/** A running replicator. */
export interface Replicator {
  /** The flows, by what they say about themselves. */
  readonly flows: readonly ReplicatorFlow[];
  readonly metrics: ReplicatorMetrics;
  /** Settings in the file that the replicator does not act on, with their lines. */
  readonly unsupported: readonly UnsupportedSetting[];
  /** The HTTP port, when serving. */
  readonly httpPort: number | null;
  /** Ready (every flow joined its group) and the last error of each flow. */
  health(): { ready: boolean; errors: Record<string, string> };
  /** What each flow says about itself now; what `/healthz` reports. */
  status(): FlowStatus[];
  /** Graceful stop: commits what the target acknowledged, leaves the groups, closes clients. */
  stop(): Promise<void>;
  /** What a {@link Replicator.stop} in progress still waits for (e.g. `flow a->b`), for a stop bound to name. */
  stopPending(): string[];
}

/** One flow of a running replicator. */
export interface ReplicatorFlow {
  /** `source->target`. */
  readonly name: string;
  /** Source topics replicated now (a fresh copy). */
  readonly topics: string[];
  status(): FlowStatus;
}

/**
 * Starts replicating every enabled flow of an `mm2.properties` file, MM2-compatible: same remote
 * topic names, offset syncs, checkpoints and heartbeats. Several processes started with the same
 * file share the work through Kafka consumer groups.
 *
 * @example
 * ```ts
 * const replicator = await startReplicator({ properties: readFileSync('mm2.properties', 'utf8'), env: process.env, httpPort: 9090 });
 * process.on('SIGTERM', () => void replicator.stop());
 * ```
 */
export async function startReplicator(options: ReplicatorOptions): Promise<Replicator> {
  const log = options.log ?? silentLogger;
  const mm2 = parseMirrorMakerProperties(options.properties, options.env ? { env: options.env } : {});
  if (mm2.flows.length === 0)
    throw new MirrorKitReplicatorError(
      'REPLICATOR_NO_FLOW',
      'no flow is enabled (set e.g. us-east->us-west.enabled = true)',
    );
  // What the file says that MM2 reads differently from how it looks (inline comments, values
  // MM2 takes as false): loud ones at error level, so nobody misses a flow that will not run.
  for (const note of mm2.notes) {
    const fields = { key: note.key, ...(note.line !== undefined ? { line: note.line } : {}) };
    if (note.severity === 'loud') log.error(note.message, fields);
    else log.warn(note.message, fields);
  }
  const unsupported: UnsupportedSetting[] = unsupportedSettings(mm2);
  const clients = new Map<string, Kafka>();
  for (const [alias, cluster] of mm2.clusterConfigs) {
    const { config, unsupported: notMapped } = kafkaConnection(cluster, mm2);
    unsupported.push(...notMapped);
    clients.set(alias, new Kafka({ ...config, logLevel: logLevel.NOTHING }));
  }
  for (const u of unsupported)
    log.warn('setting not supported; ignored', {
      key: u.key,
      ...(u.line !== undefined ? { line: u.line } : {}),
      reason: u.reason,
    });
  const kafkaOf = (alias: string): Kafka => clients.get(alias) as Kafka;
  const metrics = new ReplicatorMetrics();
  const prefix = options.groupIdPrefix ?? 'mirrorkit-replicator';
  const copyProducers = mm2.flows.map((flow) => copyProducerSettings(flow, mm2));
  const reported = new Set(unsupported.map((u) => u.key));
  for (const settings of copyProducers) {
    for (const u of settings.unsupported) {
      if (reported.has(u.key)) continue;
      reported.add(u.key);
      unsupported.push(u);
      log.warn('setting not supported; ignored', {
        key: u.key,
        ...(u.line !== undefined ? { line: u.line } : {}),
        reason: u.reason,
      });
    }
  }
  const flowOptions: FlowReplicatorOptions[] = mm2.flows.map((flow, i) => ({
    flow,
    copyProducer: copyProducers[i] as CopyProducerSettings,
    source: kafkaOf(flow.source),
    target: kafkaOf(flow.target),
    groupId: `${prefix}.${flow.source}->${flow.target}`,
    groupIdPrefix: prefix,
    metrics,
    log,
    exactlyOnce: ['enabled', 'required'].includes(
      (
        flow.settings.get('exactly.once.source.support') ??
        mm2.properties.get('exactly.once.source.support') ??
        ''
      )
        .trim()
        .toLowerCase(),
    ),
  }));
  const flows = flowOptions.map((options) => new FlowReplicator(options));
  const heartbeats = new HeartbeatEmitter(
    heartbeatPairs(mm2),
    kafkaOf,
    (mm2.flows[0] as FlowConfig).policy,
    metrics,
    log,
  );
  // Beating before the flows start: the beats the source's heartbeats topic gets now are what
  // each flow copies first, so the RPO estimate on the target is there within one interval.
  await heartbeats.start();

  // A flow whose cluster cannot be reached does not stop the others or the process: it is
  // reported (log, /healthz) and retried with backoff until it starts or the replicator stops.
  let stopped = false;
  // Kept across retries: `downSince` is when the first attempt failed, which the live bound reads.
  const startErrors = new Map<string, { message: string; since: number }>();
  const retrying: Promise<void>[] = [];
  const attempt = async (i: number): Promise<boolean> => {
    const flow = flows[i] as FlowReplicator;
    try {
      // MM2 picks the source's heartbeats topic up only at its next topic refresh when its heartbeat
      // connector creates it after the source connector listed topics (up to 600 s by default);
      // created before the first selection, its copy starts with the flow.
      const { source } = (flowOptions[i] as FlowReplicatorOptions).flow;
      await flow.start({ ensureSourceHeartbeatsTopic: () => heartbeats.ensureTopic(source) });
      startErrors.delete(flow.name);
      log.info('flow started', { flow: flow.name, topics: flow.topics });
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof MirrorKitReplicatorError ? error.code : 'REPLICATOR_CLUSTER_UNREACHABLE';
      startErrors.set(flow.name, { message, since: startErrors.get(flow.name)?.since ?? Date.now() });
      log.error('flow could not start; retrying', { flow: flow.name, code, error: message });
      await flow.stop().catch(() => undefined);
      flows[i] = new FlowReplicator(flowOptions[i] as FlowReplicatorOptions);
      return false;
    }
  };
  const first = await Promise.all(flows.map((_, i) => attempt(i)));
  first.forEach((ok, i) => {
    if (ok) return;
    retrying.push(
      (async () => {
        for (let delay = 1000; !stopped; delay = Math.min(delay * 2, 30_000)) {
          await new Promise((resolveWait) => setTimeout(resolveWait, delay));
          if (stopped || (await attempt(i))) return;
        }
      })(),
    );
  });

  const statusOf = (i: number): FlowStatus => {
    const flow = flows[i] as FlowReplicator;
    const own = flow.status();
    const failedStart = startErrors.get(flow.name);
    return failedStart
      ? {
          ...own,
          ready: false,
          state: 'starting',
          downSince: failedStart.since,
          lastError: failedStart.message,
        }
      : own;
  };
  const status = (): FlowStatus[] => flows.map((_, i) => statusOf(i));
  const health = (): { ready: boolean; errors: Record<string, string> } => {
    const h = replicatorHealth(status(), Date.now(), Number.POSITIVE_INFINITY);
    return { ready: h.ready, errors: { ...h.errors } };
  };
  let server: HttpServer | null = null;
  if (options.httpPort !== undefined && options.httpPort !== null) {
    const host = options.httpHost ?? '127.0.0.1';
    server = await startHttpServer(host, options.httpPort, {
      statuses: status,
      metrics: () => metrics.render(),
      now: Date.now,
      liveDownBoundMs: options.liveDownBoundMs ?? DEFAULT_LIVE_DOWN_BOUND_MS,
    });
    log.info('serving /healthz and /metrics', { host, port: server.port });
  }
  // Views, not the flows: a flow whose start failed is replaced by a fresh one on retry.
  const views: ReplicatorFlow[] = flows.map((_, i) => ({
    get name() {
      return (flows[i] as FlowReplicator).name;
    },
    get topics() {
      return (flows[i] as FlowReplicator).topics;
    },
    status: () => statusOf(i),
  }));

  const pending = new Set<string>();
  const step = async (name: string, work: Promise<unknown>): Promise<void> => {
    pending.add(name);
    try {
      await work;
    } finally {
      pending.delete(name);
    }
  };
  let stopping: Promise<void> | null = null;
  return {
    flows: views,
    metrics,
    unsupported,
    httpPort: server?.port ?? null,
    health,
    status,
    stopPending: () => [...pending],
    stop: () => {
      stopping ??= (async () => {
        log.info('stopping: committing and leaving the groups');
        stopped = true;
        // Side by side: a heartbeat producer whose disconnect waits on an unreachable cluster must
        // not keep the flows from committing what the target acknowledged and leaving their groups.
        await Promise.all([
          step('heartbeats', heartbeats.stop()),
          ...flows.map((f) => step(`flow ${f.name}`, f.stop())),
        ]);
        await step('start retries', Promise.all(retrying));
        if (server) await step('http server', server.close());
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
