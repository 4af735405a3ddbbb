import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CopyProducerSettings,
  copyProducerSettings,
  type FlowConfig,
  parseMirrorMakerProperties,
  unsupportedSettings,
} from '@mirrorkit/core';
import { Kafka, logLevel } from 'kafkajs';
import { FlowReplicator, type FlowReplicatorOptions } from './flow-replicator.js';
import { HeartbeatEmitter, heartbeatPairs } from './heartbeat-emitter.js';
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
  readonly log?: ReplicatorLogger;
}

/** A running replicator. */
export interface Replicator {
  readonly flows: readonly FlowReplicator[];
  readonly metrics: ReplicatorMetrics;
  /** Settings in the file that the replicator does not act on, with their lines. */
  readonly unsupported: readonly UnsupportedSetting[];
  /** The HTTP port, when serving. */
  readonly httpPort: number | null;
  /** Ready (every flow joined its group) and the last error of each flow. */
  health(): { ready: boolean; errors: Record<string, string> };
  /** Graceful stop: commits what the target acknowledged, leaves the groups, closes clients. */
  stop(): Promise<void>;
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
  const startErrors = new Map<string, string>();
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
      startErrors.set(flow.name, message);
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

  const health = (): { ready: boolean; errors: Record<string, string> } => {
    const errors: Record<string, string> = {};
    for (const flow of flows) if (flow.lastError) errors[flow.name] = flow.lastError;
    for (const [name, message] of startErrors) errors[name] = message;
    return { ready: startErrors.size === 0 && flows.every((f) => f.ready), errors };
  };
  let server: Server | null = null;
  let httpPort: number | null = null;
  if (options.httpPort !== undefined && options.httpPort !== null) {
    server = createServer((request, response) => {
      const url = request.url ?? '/';
      if (url === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
      } else if (url === '/healthz/live') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"live":true}\n');
      } else if (url === '/healthz' || url === '/healthz/ready') {
        const h = health();
        const ok = h.ready && Object.keys(h.errors).length === 0;
        response
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(
            `${JSON.stringify({ ...h, flows: flows.map((f) => ({ flow: f.name, ready: f.ready, topics: f.topics })) })}\n`,
          );
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolveListen) =>
      (server as Server).listen(options.httpPort as number, '127.0.0.1', resolveListen),
    );
    httpPort = (server.address() as AddressInfo).port;
    log.info('serving /healthz and /metrics', { port: httpPort });
  }

  let stopping: Promise<void> | null = null;
  return {
    flows,
    metrics,
    unsupported,
    httpPort,
    health,
    stop: () => {
      stopping ??= (async () => {
        log.info('stopping: committing and leaving the groups');
        stopped = true;
        await heartbeats.stop();
        await Promise.all(flows.map((f) => f.stop()));
        await Promise.all(retrying);
        await new Promise<void>((resolveClose) =>
          server ? server.close(() => resolveClose()) : resolveClose(),
        );
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
