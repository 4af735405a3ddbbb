import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowStatus, StoppedPartition } from './flow-status.js';

/**
 * How long a flow may be down (`downSince`) before `/healthz/live` answers 503: long enough for
 * several restarts with backoff (capped at 30 s) to ride out a broker restart or a rolling
 * upgrade, short enough that an orchestrator replaces a process that is stuck for good.
 */
export const DEFAULT_LIVE_DOWN_BOUND_MS = 300_000;

/** The paths the server answers; `/healthz` is `/healthz/ready`. */
export const HTTP_ROUTES = ['/metrics', '/healthz', '/healthz/ready', '/healthz/live'] as const;

/** What `/healthz` reports: built from the flows' {@link FlowStatus} only. */
export interface ReplicatorHealth {
  /** Every flow joined its group and none is starting or restarting. */
  readonly ready: boolean;
  /** No flow has been down longer than the live bound. */
  readonly live: boolean;
  /** The last error of each flow that has one, by `source->target`. */
  readonly errors: Readonly<Record<string, string>>;
  /** Every stopped partition of every flow, with its flow. */
  readonly stoppedPartitions: readonly (StoppedPartition & { readonly flow: string })[];
  readonly flows: readonly FlowStatus[];
}

/**
 * Judges the flows. A stopped partition makes the process not ready but still live: a restart
 * would meet the same record, so only a flow down past `liveDownBoundMs` asks for one.
 */
export function replicatorHealth(
  statuses: readonly FlowStatus[],
  now: number,
  liveDownBoundMs: number,
): ReplicatorHealth {
  const errors: Record<string, string> = {};
  const stoppedPartitions: (StoppedPartition & { flow: string })[] = [];
  for (const s of statuses) {
    if (s.lastError !== null) errors[s.flow] = s.lastError;
    for (const p of s.stoppedPartitions) stoppedPartitions.push({ flow: s.flow, ...p });
  }
  return {
    ready: statuses.every((s) => s.ready && s.state === 'running'),
    live: statuses.every((s) => s.downSince === null || now - s.downSince <= liveDownBoundMs),
    errors,
    stoppedPartitions,
    flows: statuses,
  };
}

/** One answer of the server, decided without a socket. */
export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** What the routes read; functions so that each request sees the state of now. */
export interface HttpSources {
  readonly statuses: () => readonly FlowStatus[];
  readonly metrics: () => string;
  readonly now: () => number;
  readonly liveDownBoundMs: number;
}

const json = (status: number, value: unknown): HttpReply => ({
  status,
  contentType: 'application/json',
  body: `${JSON.stringify(value)}\n`,
});

/** Routes one request. Only flow status and metrics go out: no configuration value ever does. */
export function routeHttpRequest(method: string, url: string, sources: HttpSources): HttpReply {
  const path = url.split('?')[0] ?? '/';
  if (!(HTTP_ROUTES as readonly string[]).includes(path))
    return { status: 404, contentType: 'text/plain', body: 'not found\n' };
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, contentType: 'text/plain', body: 'method not allowed\n' };
  if (path === '/metrics')
    return { status: 200, contentType: 'text/plain; version=0.0.4', body: sources.metrics() };
  const health = replicatorHealth(sources.statuses(), sources.now(), sources.liveDownBoundMs);
  if (path === '/healthz/live') {
    const down = health.flows
      .filter((f) => f.downSince !== null && sources.now() - f.downSince > sources.liveDownBoundMs)
      .map((f) => ({ flow: f.flow, state: f.state, downSince: f.downSince, error: f.lastError }));
    return json(health.live ? 200 : 503, { live: health.live, down });
  }
  const ok = health.ready && Object.keys(health.errors).length === 0 && health.stoppedPartitions.length === 0;
  return json(ok ? 200 : 503, health);
}

/** A listening server. */
export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 picks a free one) and answers through {@link routeHttpRequest}. */
export async function startHttpServer(host: string, port: number, sources: HttpSources): Promise<HttpServer> {
  const server: Server = createServer((request, response) => {
    const reply = routeHttpRequest(request.method ?? 'GET', request.url ?? '/', sources);
    response
      .writeHead(reply.status, { 'content-type': reply.contentType })
      .end(request.method === 'HEAD' ? undefined : reply.body);
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // Keep-alive scrapers must not hold a stop open.
        server.closeAllConnections();
      }),
  };
}
